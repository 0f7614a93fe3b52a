/**
 * Policy library API (tag "policies"). Types mirror the contract in openapi.json
 * (PolicyCard, PolicyDetail, EligibilityOut …); shared by the portal, H5 and console pages.
 */
import { api, type Page } from '@/shared/api'

export interface Tag {
  id: number
  name: string
  kind: string
  category: string
}

export interface PolicyCard {
  id: number
  title: string
  title_html: string
  number: string
  level: string
  level_label: string
  department: string
  publish_date: string | null
  apply_start: string | null
  apply_end: string | null
  is_open: boolean
  support_type: string
  support_type_label: string
  amount_min: string | null
  amount_max: string | null
  status: string
  status_label: string
  origin: string
  tags: Tag[]
  snippet: string
}

export interface Attachment {
  id: number
  title: string
  size: number
  content_type: string
}

export interface PolicyDetail extends PolicyCard {
  summary: string
  body: string
  effective_from: string | null
  effective_to: string | null
  source_url: string
  source_name: string
  industries: { code: string; name: string }[]
  conditions: RuleNode | null
  condition_lines: string[]
  attachments: Attachment[]
}

export interface RuleNode {
  type: string
  id?: string
  label?: string
  children?: RuleNode[]
  child?: RuleNode
  fact?: string
  op?: string
  value?: unknown
  values?: string[]
  min?: number | null
  max?: number | null
  mode?: string
  numerator?: string
  denominator?: string
}

export interface Choice {
  value: string
  label: string
}

export interface IndustryChoice {
  code: string
  name: string
  /** The 门类 a 大类 belongs to; empty for a 门类 itself. */
  section: string
}

export interface Options {
  levels: Choice[]
  support_types: Choice[]
  departments: string[]
  tags: Tag[]
  industries: IndustryChoice[]
}

export interface Eligibility {
  policy_id: number
  enterprise: string
  status: 'eligible' | 'possibly' | 'ineligible'
  status_label: string
  missing: { fact: string; label: string; source: string }[]
  failed: { node: string; id: string; condition: string; actual: unknown; gap: number | null; unit: string }[]
  score: number
  known_facts: string[]
}

export interface Subscription {
  tags: Tag[]
  departments: string[]
  levels: string[]
}

export interface PolicyQuery {
  q?: string
  level?: string
  department?: string
  tag?: number | ''
  industry?: string
  support_type?: string
  status?: string
  open_now?: boolean
  origin?: string
  sort?: 'relevance' | 'date'
  page?: number
  size?: number
}

type Q = Record<string, string | number | boolean | null | undefined>

export const listPolicies = (query: PolicyQuery) => api.get<Page<PolicyCard>>('/policies', query as Q)
export const getPolicy = (id: number) => api.get<PolicyDetail>(`/policies/${id}`)
export const suggest = (q: string) => api.get<{ items: string[] }>('/policies/suggest', { q })
export const getOptions = () => api.get<Options>('/policies/options')
export const checkEligibility = (id: number) => api.get<Eligibility>(`/policies/${id}/eligibility`)
export const getSubscription = () => api.get<Subscription>('/policies/subscription')
export const saveSubscription = (body: { tag_ids: number[]; departments: string[]; levels: string[] }) =>
  api.put<Subscription>('/policies/subscription', body)
export const attachmentUrl = (id: number) => `/api/v1/policies/attachments/${id}`

export function amountText(p: { amount_min: string | null; amount_max: string | null }): string {
  const fmt = (v: string) => String(Number(v))
  if (p.amount_min && p.amount_max) return `${fmt(p.amount_min)}–${fmt(p.amount_max)} 万元`
  if (p.amount_max) return `最高 ${fmt(p.amount_max)} 万元`
  if (p.amount_min) return `${fmt(p.amount_min)} 万元起`
  return ''
}

export function windowText(p: { apply_start: string | null; apply_end: string | null }): string {
  if (!p.apply_start && !p.apply_end) return '长期受理'
  return `${p.apply_start ?? '即日'} 至 ${p.apply_end ?? '长期'}`
}
