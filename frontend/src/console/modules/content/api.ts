/** Console side of content: articles, sign-ups, images, slots and the platform introduction. */
import { api, ApiError, readCookie, type Page } from '@/shared/api'
import type { Article, ArticleDetail, Intro } from '@/portal/modules/content/api'

export type { Article, ArticleDetail, Intro }

export interface ArticleInput {
  kind: string
  title: string
  summary: string
  body: string
  category: string
  cover_id: number | null
  pinned: boolean
  starts_at: string | null
  ends_at: string | null
  location: string
  signup_enabled: boolean
  signup_deadline: string | null
  capacity: number | null
}

export interface SlotAdmin {
  id: number
  placement: string
  placement_label: string
  title: string
  subtitle: string
  image_url: string
  image_id: number | null
  link_url: string
  article_id: number | null
  product_id: number | null
  starts_at: string | null
  ends_at: string | null
  sort: number
  is_active: boolean
  is_live: boolean
}

export interface Signup {
  id: number
  name: string
  phone: string
  organisation_name: string
  note: string
  status: string
  created_at: string
}

export const PLACEMENTS = [
  { value: 'banner', label: 'Banner 轮播' },
  { value: 'feed', label: '信息流' },
  { value: 'announcement', label: '公告栏' },
  { value: 'hot_product', label: '热门产品' },
  { value: 'activity', label: '活动位' },
]

const M = '/content/manage'
type Q = Record<string, string | number | boolean | null | undefined>

export const listArticles = (query: { kind?: string; status?: string; q?: string; page: number; size: number }) =>
  api.get<Page<Article>>(`${M}/articles`, query as Q)
export const getArticle = (id: number) => api.get<ArticleDetail>(`${M}/articles/${id}`)
export const createArticle = (body: ArticleInput) => api.post<ArticleDetail>(`${M}/articles`, body)
export const updateArticle = (id: number, body: ArticleInput) => api.put<ArticleDetail>(`${M}/articles/${id}`, body)
export const publishArticle = (id: number) => api.post<Article>(`${M}/articles/${id}/publish`)
export const archiveArticle = (id: number) => api.post<Article>(`${M}/articles/${id}/archive`)
export const deleteArticle = (id: number) => api.delete(`${M}/articles/${id}`)
export const listSignups = (id: number) => api.get<Page<Signup>>(`${M}/articles/${id}/signups`, { page: 1, size: 100 })
/** The Excel export of an activity's sign-ups (downloaded by the browser with the session cookie). */
export const signupExportUrl = (id: number) => `/api/v1${M}/articles/${id}/signups/export`

export const listSlots = (placement = '') => api.get<SlotAdmin[]>(`${M}/slots`, { placement })
export const createSlot = (body: Partial<SlotAdmin>) => api.post<SlotAdmin>(`${M}/slots`, body)
export const updateSlot = (id: number, body: Partial<SlotAdmin>) => api.put<SlotAdmin>(`${M}/slots/${id}`, body)
export const deleteSlot = (id: number) => api.delete(`${M}/slots/${id}`)
export const reorderSlots = (placement: string, ids: number[]) => api.post<SlotAdmin[]>(`${M}/slots/reorder`, { placement, ids })

/** Listed marketplace products for the hot-product picker (the marketplace's public list). */
export const findProducts = (q: string) =>
  api.get<Page<{ id: number; name: string; institution: string }>>('/marketplace/products', { q, page: 1, size: 20 })
export const getProductName = async (id: number) => (await api.get<{ id: number; name: string }>(`/marketplace/products/${id}`)).name

export const getIntro = () => api.get<Intro>('/content/intro')
export const saveIntro = (body: { title: string; body: string; video_url: string }) => api.put<Intro>(`${M}/intro`, body)

export async function uploadImage(file: File): Promise<{ id: number; url: string }> {
  const form = new FormData()
  form.append('file', file)
  const response = await fetch(`/api/v1${M}/images`, {
    method: 'POST',
    body: form,
    credentials: 'same-origin',
    headers: { 'X-CSRFToken': readCookie('qifu_csrftoken') },
  })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new ApiError(response.status, body.code ?? `http.${response.status}`, body.message ?? '上传失败')
  return body
}
