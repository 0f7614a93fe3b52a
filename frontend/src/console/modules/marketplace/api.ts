/**
 * Marketplace API (/api/v1/marketplace/…) and its types, shared by the console, the institution
 * workbench, the portal and H5. Types mirror qifu/marketplace/schemas.py.
 */
import { api, ApiError, readCookie, type Page } from '@/shared/api'

const BASE = '/marketplace'

export interface Category {
  id: number
  code: string
  name: string
  parent_id: number | null
  icon: string
  sort: number
  is_active: boolean
  rating_prompt: string
  positive_reasons: string[]
  negative_reasons: string[]
  children?: Category[]
}

export interface FormField {
  key: string
  label: string
  type: 'text' | 'textarea' | 'number' | 'date' | 'select' | 'multiselect' | 'boolean'
  required: boolean
  options?: string[]
  min?: number | null
  max?: number | null
  max_length?: number | null
  help?: string
}

export interface Product {
  id: number
  name: string
  summary: string
  category_id: number
  category_name: string
  institution: { id: number; name: string; kind: string }
  is_free: boolean
  price: string
  price_unit: string
  service_area: string
  delivery: 'online' | 'offline' | 'both'
  subsidy_eligible: boolean
  status: 'pending' | 'rejected' | 'listed' | 'unlisted'
  rating_count: number
  rating_average: string | null
  application_count: number
  favourite_count: number
  favourited: boolean
}

export interface ProductDetail extends Product {
  description: string
  required_materials: string[]
  form_fields: FormField[]
  accept_days: number
  listed_at: string | null
  institution_intro: string
  institution_rating_average: string | null
  institution_rating_count: number
}

export interface Revision {
  id: number
  product_id: number
  number: number
  data: Record<string, unknown>
  status: 'pending' | 'approved' | 'rejected' | 'superseded'
  reason: string
  created_at: string
  reviewed_at: string | null
}

export interface OwnProduct extends ProductDetail {
  unlisted_reason: string
  pending_revision: Revision | null
  last_revision: Revision | null
}

export interface ProductInput {
  category_id: number | null
  name: string
  summary: string
  description: string
  is_free: boolean
  price: string
  price_unit: string
  service_area: string
  delivery: 'online' | 'offline' | 'both'
  required_materials: string[]
  form_fields: FormField[]
  subsidy_eligible: boolean
  accept_days: number
}

export interface ReviewItem {
  id: number
  number: number
  status: string
  reason: string
  created_at: string
  data: Record<string, unknown>
  product_id: number
  product_status: string
  product_name: string
  institution_name: string
  is_edit: boolean
  live: Record<string, unknown> | null
}

export interface Rating {
  id: number
  score: number
  reasons: string[]
  comment: string
  reply: string
  replied_at: string | null
  created_at: string
  enterprise_name: string
  product_id: number
  product_name: string
  application_id: number
}

export interface AppFile {
  id: number
  kind: 'material' | 'evidence'
  label: string
  name: string
  size: number
  content_type: string
  created_at: string
}

export interface AppEvent {
  id: number
  action: string
  side: string
  from_status: string
  to_status: string
  note: string
  actor_name: string
  created_at: string
}

export interface Application {
  id: number
  number: string
  product_id: number
  product_name: string
  institution_id: number
  institution_name: string
  enterprise_id: number
  enterprise_name: string
  price: string
  status: string
  status_label: string
  accept_deadline: string | null
  subsidy_status: string
  subsidy_amount: string
  subsidy_programme_name: string
  created_at: string
  updated_at: string
}

export interface ApplicationDetail extends Application {
  contact_name: string
  contact_phone: string
  note: string
  form_data: Record<string, unknown>
  form_fields: FormField[]
  reason: string
  subsidy_note: string
  files: AppFile[]
  events: AppEvent[]
  rating: { score: number; reasons: string[]; comment: string; reply: string; created_at: string } | null
  survey: { prompt: string; positive_reasons: string[]; negative_reasons: string[] } | null
  side: 'enterprise' | 'institution' | 'government'
  actions: string[]
}

export interface Programme {
  id: number
  name: string
  budget: string
  reserved: string
  consumed: string
  available: string
  starts_on: string
  ends_on: string
  category_ids: number[]
  mode: 'amount' | 'ratio'
  amount: string
  ratio: string
  max_per_service: string | null
  per_enterprise_limit: number
  status: 'active' | 'closed'
  description: string
  application_count: number
}

type Params = Record<string, string | number | boolean | null | undefined>
/** Any filter object (interfaces included); values are sent as query parameters. */
export type Query = object
const q = (query: Query) => query as Params

// -- labels ---------------------------------------------------------------------------------------
export const PRODUCT_STATUS: Record<string, { label: string; type: 'success' | 'warning' | 'danger' | 'info' }> = {
  pending: { label: '待审核', type: 'warning' },
  rejected: { label: '审核未通过', type: 'danger' },
  listed: { label: '已上架', type: 'success' },
  unlisted: { label: '已下架', type: 'info' },
}
export const DELIVERY: Record<string, string> = { online: '线上', offline: '线下', both: '线上+线下' }
export const APP_STATUS: Record<string, string> = {
  submitted: '待受理',
  accepted: '已受理',
  declined: '已拒绝',
  in_service: '服务中',
  completed: '待企业确认',
  confirmed: '待评价',
  rated: '已评价',
  subsidy_verified: '补贴已核销',
  subsidy_refused: '补贴未核销',
  cancelled: '已取消',
  expired: '超时未受理',
}
export const SUBSIDY_STATUS: Record<string, string> = {
  none: '不涉及补贴',
  reserved: '已预留',
  consumed: '已核销',
  released: '已释放',
  refused: '核销未通过',
}
export const ACTION_LABELS: Record<string, string> = {
  submit: '提交申请',
  accept: '受理',
  decline: '拒绝受理',
  start: '开始服务',
  complete: '完成服务',
  confirm: '确认完成',
  reopen: '退回服务',
  rate: '评价',
  verify_subsidy: '核销补贴',
  refuse_subsidy: '不予核销',
  cancel: '取消',
  expire: '超时关闭',
  remind: '受理催办',
}
export const SIDE_LABELS: Record<string, string> = { enterprise: '企业', institution: '服务机构', government: '政府', system: '系统' }
export const FIELD_TYPES: Record<FormField['type'], string> = {
  text: '单行文本',
  textarea: '多行文本',
  number: '数字',
  date: '日期',
  select: '单选',
  multiselect: '多选',
  boolean: '是/否',
}

export function priceText(p: Pick<Product, 'is_free' | 'price' | 'price_unit'>): string {
  return p.is_free ? '免费' : `¥${p.price}${p.price_unit ? ' / ' + p.price_unit : ''}`
}

// -- uploads (multipart) --------------------------------------------------------------------------
export async function upload<T>(path: string, file: File, extra: Record<string, string> = {}): Promise<T> {
  const form = new FormData()
  form.append('file', file)
  for (const [k, v] of Object.entries(extra)) form.append(k, v)
  const response = await fetch('/api/v1' + path, {
    method: 'POST',
    body: form,
    credentials: 'same-origin',
    headers: { 'X-CSRFToken': readCookie('qifu_csrftoken'), Accept: 'application/json' },
  })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new ApiError(response.status, body.code ?? `http.${response.status}`, body.message ?? '上传失败', body.detail ?? {})
  return body as T
}

export const fileUrl = (applicationId: number, fileId: number) => `/api/v1${BASE}/applications/${applicationId}/files/${fileId}`

// -- categories ----------------------------------------------------------------------------------
export const listCategories = () => api.get<Category[]>(`${BASE}/categories`)
export const listAllCategories = () => api.get<Category[]>(`${BASE}/categories/all`)
export const createCategory = (body: Partial<Category>) => api.post<Category>(`${BASE}/categories`, body)
export const updateCategory = (id: number, body: Partial<Category>) => api.put<Category>(`${BASE}/categories/${id}`, body)
export const deleteCategory = (id: number) => api.delete(`${BASE}/categories/${id}`)

// -- products ------------------------------------------------------------------------------------
export const listProducts = (query: Query) => api.get<Page<Product>>(`${BASE}/products`, q(query))
export const getProduct = (id: number) => api.get<ProductDetail>(`${BASE}/products/${id}`)
export const productRatings = (id: number, query: Query = {}) => api.get<Page<Rating>>(`${BASE}/products/${id}/ratings`, q(query))
export const favourite = (id: number) => api.post<{ favourited: boolean; favourite_count: number }>(`${BASE}/products/${id}/favourite`)
export const unfavourite = (id: number) => api.delete<{ favourited: boolean; favourite_count: number }>(`${BASE}/products/${id}/favourite`)
export const listFavourites = (query: Query) => api.get<Page<Product>>(`${BASE}/favourites`, q(query))

export const listOwnProducts = (query: Query) => api.get<Page<OwnProduct>>(`${BASE}/institution/products`, q(query))
export const getOwnProduct = (id: number) => api.get<OwnProduct>(`${BASE}/institution/products/${id}`)
export const createProduct = (body: ProductInput) => api.post<OwnProduct>(`${BASE}/institution/products`, body)
export const updateProduct = (id: number, body: ProductInput) => api.put<OwnProduct>(`${BASE}/institution/products/${id}`, body)
export const unlistProduct = (id: number, reason: string) => api.post<OwnProduct>(`${BASE}/institution/products/${id}/unlist`, { reason })
export const relistProduct = (id: number) => api.post<OwnProduct>(`${BASE}/institution/products/${id}/relist`)

export const listReviews = (query: Query) => api.get<Page<ReviewItem>>(`${BASE}/reviews`, q(query))
export const review = (id: number, decision: 'approve' | 'reject', reason = '') =>
  api.post<ReviewItem>(`${BASE}/reviews/${id}`, { decision, reason })
export const reviewProduct = (productId: number) => api.get<OwnProduct>(`${BASE}/reviews/products/${productId}`)

// -- applications ------------------------------------------------------------------------------------
export const uploadMaterial = (file: File) => upload<{ id: number; name: string; size: number }>(`${BASE}/uploads/material`, file)
export const applyFor = (body: {
  product_id: number
  contact_name: string
  contact_phone: string
  note: string
  form_data: Record<string, unknown>
  materials: { label: string; file_id: number }[]
}) => api.post<ApplicationDetail>(`${BASE}/applications`, body)

export type Side = 'enterprise' | 'institution' | 'government'
const SIDE_BASE: Record<Side, string> = {
  enterprise: `${BASE}/my/applications`,
  institution: `${BASE}/institution/applications`,
  government: `${BASE}/applications`,
}
export const listApplications = (side: Side, query: Query) => api.get<Page<Application>>(SIDE_BASE[side], q(query))
export const getApplication = (side: Side, id: number) => api.get<ApplicationDetail>(`${SIDE_BASE[side]}/${id}`)
export const act = (side: Side, id: number, action: string, body: Record<string, unknown> = {}) => {
  const path = side === 'government' ? `${BASE}/subsidies/${id}/${action === 'verify_subsidy' ? 'verify' : 'refuse'}` : `${SIDE_BASE[side]}/${id}/${action}`
  return api.post<ApplicationDetail>(path, body)
}
export const uploadEvidence = (id: number, file: File, label: string) =>
  upload<AppFile>(`${BASE}/institution/applications/${id}/evidence`, file, { label })
export const deleteEvidence = (id: number, fileId: number) => api.delete(`${BASE}/institution/applications/${id}/evidence/${fileId}`)
export const exportUrl = (side: 'institution' | 'government', query: Query) => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q(query))) if (v !== undefined && v !== null && v !== '') params.append(k, String(v))
  const path = side === 'institution' ? `${BASE}/institution/applications/export` : `${BASE}/applications/export`
  return `/api/v1${path}${params.toString() ? '?' + params.toString() : ''}`
}
export const listSubsidies = (query: Query) => api.get<Page<Application>>(`${BASE}/subsidies`, q(query))
export const listInstitutionRatings = (query: Query) => api.get<Page<Rating>>(`${BASE}/institution/ratings`, q(query))
export const replyRating = (id: number, text: string) => api.post<Rating>(`${BASE}/institution/ratings/${id}/reply`, { text })

// -- programmes ------------------------------------------------------------------------------------
export const listProgrammes = (query: Query) => api.get<Page<Programme>>(`${BASE}/programmes`, q(query))
export const createProgramme = (body: Record<string, unknown>) => api.post<Programme>(`${BASE}/programmes`, body)
export const updateProgramme = (id: number, body: Record<string, unknown>) => api.put<Programme>(`${BASE}/programmes/${id}`, body)
