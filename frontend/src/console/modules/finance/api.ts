/** Financing API (/api/v1/finance/…) and its types; mirrors qifu/finance/schemas.py. */
import { api, type Page } from '@/shared/api'
import type { RuleNode } from '@/console/modules/policies/api'
import { type Query, upload } from '@/console/modules/marketplace/api'

export type { RuleNode }
const BASE = '/finance'
const q = (query: Query) => query as Record<string, string | number | boolean | null | undefined>

export type Kind = 'credit' | 'mortgage' | 'guarantee' | 'insurance' | 'equity'
export const KINDS: Record<Kind, string> = {
  credit: '信用贷款',
  mortgage: '抵押贷款',
  guarantee: '担保融资',
  insurance: '保险产品',
  equity: '股权融资',
}
export const LOAN_STATUS: Record<string, string> = {
  submitted: '待受理',
  accepted: '审查中',
  materials_requested: '待补充材料',
  approved: '已授信',
  rejected: '未通过',
  disbursed: '已放款',
  cancelled: '已撤回',
}
export const LOAN_KIND: Record<string, string> = { first: '首贷', renewal: '续贷' }
export const LOAN_ACTIONS: Record<string, string> = {
  submit: '提交申请',
  accept: '受理',
  request_materials: '要求补充材料',
  supply_materials: '补充材料',
  approve: '审批通过（授信）',
  reject: '审批不通过',
  disburse: '登记放款',
  cancel: '撤回申请',
}

export interface FinProduct {
  id: number
  name: string
  kind: Kind
  kind_label: string
  summary: string
  institution: { id: number; name: string; kind: string }
  min_amount: string
  max_amount: string
  min_rate: string
  max_rate: string
  min_term: number
  max_term: number
  guarantee_method: string
  status: 'listed' | 'unlisted'
  application_count: number
}
export interface FinProductDetail extends FinProduct {
  description: string
  repayment_method: string
  eligibility: RuleNode | null
  eligibility_text: string
  required_materials: string[]
}
export interface FinProductInput {
  name: string
  kind: Kind
  summary: string
  description: string
  min_amount: string
  max_amount: string
  min_rate: string
  max_rate: string
  min_term: number
  max_term: number
  guarantee_method: string
  repayment_method: string
  eligibility: RuleNode | null
  eligibility_text: string
  required_materials: string[]
}
export interface Eligibility {
  status: 'eligible' | 'possibly' | 'ineligible'
  status_label: string
  missing: { fact: string; label: string; source: string }[]
  failed: { node: string; condition: string; actual: unknown; gap: unknown; unit: string }[]
  score: number
}
export interface Loan {
  id: number
  number: string
  product_id: number
  product_name: string
  institution_name: string
  enterprise_id: number
  enterprise_name: string
  amount: string
  term_months: number
  status: string
  status_label: string
  credit_amount: string | null
  disbursed_amount: string | null
  loan_kind: string
  created_at: string
  updated_at: string
}
export interface LoanDetail extends Loan {
  purpose: string
  contact_name: string
  contact_phone: string
  eligibility_status: string
  materials_note: string
  reason: string
  approved_rate: string | null
  approved_term: number | null
  disbursed_on: string | null
  files: { id: number; label: string; name: string; size: number; created_at: string }[]
  events: { id: number; action: string; side: string; note: string; actor_name: string; created_at: string }[]
  side: 'enterprise' | 'institution' | 'government'
  actions: string[]
  suggested_loan_kind: string
}
export interface LoanStats {
  applications: number
  applied_amount: string
  approved: number
  credit_amount: string
  disbursed: number
  disbursed_amount: string
  first_loans: number
  first_loan_amount: string
  renewals: number
  renewal_amount: string
}

export type LoanSide = 'enterprise' | 'institution' | 'government'
const SIDE_BASE: Record<LoanSide, string> = {
  enterprise: `${BASE}/my/applications`,
  institution: `${BASE}/institution/applications`,
  government: `${BASE}/applications`,
}
const ACTION_PATH: Record<string, string> = {
  accept: 'accept',
  request_materials: 'request-materials',
  approve: 'approve',
  reject: 'reject',
  disburse: 'disburse',
  cancel: 'cancel',
  supply_materials: 'materials',
}

export const listFinProducts = (query: Query) => api.get<Page<FinProduct>>(`${BASE}/products`, q(query))
export const getFinProduct = (id: number) => api.get<FinProductDetail>(`${BASE}/products/${id}`)
export const checkEligibility = (id: number) => api.get<Eligibility>(`${BASE}/products/${id}/eligibility`)
export const listOwnFinProducts = (query: Query) => api.get<Page<FinProductDetail>>(`${BASE}/institution/products`, q(query))
export const createFinProduct = (body: FinProductInput) => api.post<FinProductDetail>(`${BASE}/institution/products`, body)
export const updateFinProduct = (id: number, body: FinProductInput) => api.put<FinProductDetail>(`${BASE}/institution/products/${id}`, body)
export const setFinProductListed = (id: number, listed: boolean) =>
  api.post<FinProductDetail>(`${BASE}/institution/products/${id}/${listed ? 'list' : 'unlist'}`)

export const uploadLoanMaterial = (file: File) => upload<{ id: number; name: string; size: number }>(`${BASE}/uploads/material`, file)
export const applyForLoan = (body: Record<string, unknown>) => api.post<LoanDetail>(`${BASE}/applications`, body)
export const listLoans = (side: LoanSide, query: Query) => api.get<Page<Loan>>(SIDE_BASE[side], q(query))
export const getLoan = (side: LoanSide, id: number) => api.get<LoanDetail>(`${SIDE_BASE[side]}/${id}`)
export const loanAct = (side: LoanSide, id: number, action: string, body: Record<string, unknown>) =>
  api.post<LoanDetail>(`${SIDE_BASE[side]}/${id}/${ACTION_PATH[action] ?? action}`, body)
export const loanStats = (query: Query) => api.get<LoanStats>(`${BASE}/applications/stats`, q(query))
export const loanFileUrl = (id: number, fileId: number) => `/api/v1${BASE}/applications/${id}/files/${fileId}`
export const loanExportUrl = (side: 'institution' | 'government', query: Query) => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q(query))) if (v !== undefined && v !== null && v !== '') params.append(k, String(v))
  const path = side === 'institution' ? `${BASE}/institution/applications/export` : `${BASE}/applications/export`
  return `/api/v1${path}${params.toString() ? '?' + params.toString() : ''}`
}
