/** Console side of the policy library: editor, review, tag library, collection sources. */
import { api, ApiError, readCookie, type Page } from '@/shared/api'
import type { PolicyCard, PolicyDetail, PolicyQuery, RuleNode, Tag } from '@/portal/modules/policies/api'

export type { PolicyCard, PolicyDetail, RuleNode, Tag }

export interface PolicyAdmin extends PolicyDetail {
  submitted_by: string
  submitted_at: string | null
  reviewed_by: string
  reviewed_at: string | null
  review_comment: string
  withdrawn_reason: string
  collected_from: string
  can_review: boolean
}

export interface PolicyInput {
  title: string
  number: string
  level: string
  department: string
  publish_date: string | null
  effective_from: string | null
  effective_to: string | null
  apply_start: string | null
  apply_end: string | null
  support_type: string
  amount_min: string | null
  amount_max: string | null
  summary: string
  body: string
  source_url: string
  source_name: string
  conditions: RuleNode | null
  tag_ids: number[]
  industry_codes: string[]
}

export interface Fact {
  name: string
  label: string
  type: string
  unit: string
  description: string
  source: string
  source_label: string
  choices: { value: string; label: string }[]
}

export interface TagAdmin extends Tag {
  description: string
  sort: number
  is_active: boolean
  policy_count: number
}

export interface Source {
  id: number
  name: string
  kind: string
  kind_label: string
  url: string
  link_pattern: string
  json_items: string
  json_fields: Record<string, string>
  level: string
  department: string
  max_items: number
  is_active: boolean
  last_run_at: string | null
  last_status: string
}

export interface Run {
  id: number
  status: string
  status_label: string
  trigger: string
  found: number
  created: number
  duplicates: number
  failed: number
  message: string
  errors: { url: string; message: string }[]
  created_at: string
  finished_at: string | null
}

type Q = Record<string, string | number | boolean | null | undefined>
const M = '/policies/manage'

export const listManaged = (query: PolicyQuery & { page: number; size: number }) => api.get<Page<PolicyCard>>(`${M}/policies`, query as unknown as Q)
export const reviewQueue = (query: { page: number; size: number }) => api.get<Page<PolicyCard>>(`${M}/reviews`, query)
export const getManaged = (id: number) => api.get<PolicyAdmin>(`${M}/policies/${id}`)
export const createPolicy = (body: PolicyInput) => api.post<PolicyAdmin>(`${M}/policies`, body)
export const updatePolicy = (id: number, body: PolicyInput) => api.put<PolicyAdmin>(`${M}/policies/${id}`, body)
export const deletePolicy = (id: number) => api.delete(`${M}/policies/${id}`)
export const transition = (id: number, action: string, body?: object) => api.post<PolicyAdmin>(`${M}/policies/${id}/${action}`, body ?? {})
export const deleteAttachment = (id: number) => api.delete(`${M}/attachments/${id}`)
export const validateRule = (tree: RuleNode | null) => api.post<{ tree: RuleNode | null; lines: string[] }>(`${M}/rules/validate`, { tree })
export const getFacts = () => api.get<Fact[]>('/policies/facts')

export const listTags = () => api.get<TagAdmin[]>(`${M}/tags`)
export const createTag = (body: Partial<TagAdmin>) => api.post<TagAdmin>(`${M}/tags`, body)
export const updateTag = (id: number, body: Partial<TagAdmin>) => api.put<TagAdmin>(`${M}/tags/${id}`, body)
export const deleteTag = (id: number) => api.delete(`${M}/tags/${id}`)

export const listSources = () => api.get<Source[]>(`${M}/sources`)
export const createSource = (body: Partial<Source>) => api.post<Source>(`${M}/sources`, body)
export const updateSource = (id: number, body: Partial<Source>) => api.put<Source>(`${M}/sources/${id}`, body)
export const deleteSource = (id: number) => api.delete(`${M}/sources/${id}`)
export const runSource = (id: number) => api.post<{ message: string }>(`${M}/sources/${id}/run`)
export const listRuns = (id: number, page = 1) => api.get<Page<Run>>(`${M}/sources/${id}/runs`, { page, size: 20 })

/** Upload with multipart form data (the JSON client does not send files). */
export async function uploadAttachment(id: number, file: File, title: string): Promise<void> {
  const form = new FormData()
  form.append('file', file)
  form.append('title', title)
  const response = await fetch(`/api/v1${M}/policies/${id}/attachments`, {
    method: 'POST',
    body: form,
    credentials: 'same-origin',
    headers: { 'X-CSRFToken': readCookie('qifu_csrftoken') },
  })
  if (!response.ok) {
    const body = await response.json().catch(() => ({}))
    throw new ApiError(response.status, body.code ?? `http.${response.status}`, body.message ?? '上传失败')
  }
}

export const STATUS_TYPES: Record<string, 'info' | 'warning' | 'success' | 'danger' | 'primary'> = {
  draft: 'info',
  in_review: 'warning',
  published: 'success',
  expired: 'info',
  withdrawn: 'danger',
}
