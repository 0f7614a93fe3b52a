import { ApiError, API_BASE, api, readCookie, type Page } from '@/shared/api'
import type { paths } from '@/shared/api-types'

// Paths are checked against the contract: if openapi.json moves them, `npm run typecheck` fails.
const INBOX = '/api/v1/messaging/inbox' satisfies keyof paths
const UNREAD = '/api/v1/messaging/inbox/unread' satisfies keyof paths
const READ_ALL = '/api/v1/messaging/inbox/read-all' satisfies keyof paths
const MESSAGE = '/api/v1/messaging/inbox/{message_id}' satisfies keyof paths
const MESSAGE_READ = '/api/v1/messaging/inbox/{message_id}/read' satisfies keyof paths
const TEMPLATES = '/api/v1/messaging/templates' satisfies keyof paths
const TEMPLATE_VERSIONS = '/api/v1/messaging/templates/{template_id}/versions' satisfies keyof paths
const TEMPLATE_ACTIVE = '/api/v1/messaging/templates/{template_id}/active' satisfies keyof paths
const EVENTS = '/api/v1/messaging/events' satisfies keyof paths
const RULES = '/api/v1/messaging/rules' satisfies keyof paths
const SENDS = '/api/v1/messaging/sends' satisfies keyof paths
const SEND = '/api/v1/messaging/sends/{send_id}' satisfies keyof paths
const SEND_CANCEL = '/api/v1/messaging/sends/{send_id}/cancel' satisfies keyof paths
const LISTS = '/api/v1/messaging/sends/lists' satisfies keyof paths
const DELIVERIES = '/api/v1/messaging/deliveries' satisfies keyof paths
const PUSHES = '/api/v1/messaging/pushes' satisfies keyof paths

type Get<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer T } } } } }
  ? T
  : never

export type Message = Get<typeof MESSAGE>
export type Unread = Get<typeof UNREAD>
export type Template = Get<typeof TEMPLATE_VERSIONS>[number]
export type TemplateIn = paths[typeof TEMPLATES]['post']['requestBody']['content']['application/json']
export type TemplateVersionIn = paths[typeof TEMPLATE_VERSIONS]['post']['requestBody']['content']['application/json']
export type EventItem = Get<typeof EVENTS>[number]
export type RuleIn = paths[typeof RULES]['put']['requestBody']['content']['application/json']
export type SendDetail = Get<typeof SEND>
export type SendIn = paths[typeof SENDS]['post']['requestBody']['content']['application/json']
export type Delivery = Get<typeof DELIVERIES>['items'][number]
export type Push = Get<typeof PUSHES>['items'][number]
export type ListUpload = { upload_id: number; kind: string; valid: number; invalid: number; invalid_samples: string[] }

const id = (path: string, name: string, value: number) => path.replace(`{${name}}`, String(value))

// --- my messages ---------------------------------------------------------------------------------
export const listMessages = (query: { category?: string; is_read?: string; q?: string; page: number; size: number }) =>
  api.get<Page<Message>>(INBOX, query)
export const fetchUnread = () => api.get<Unread>(UNREAD)
export const readMessage = (messageId: number) => api.post<Message>(id(MESSAGE_READ, 'message_id', messageId))
export const readAll = (category = '') => api.post<{ count: number }>(READ_ALL, { category })
export const deleteMessage = (messageId: number) => api.delete(id(MESSAGE, 'message_id', messageId))

// --- templates -----------------------------------------------------------------------------------
export const listTemplates = (query: { channel?: string; q?: string; include_history?: boolean; page: number; size: number }) =>
  api.get<Page<Template>>(TEMPLATES, query)
export const createTemplate = (body: TemplateIn) => api.post<Template>(TEMPLATES, body)
export const templateVersions = (templateId: number) => api.get<Template[]>(id(TEMPLATE_VERSIONS, 'template_id', templateId))
export const newTemplateVersion = (templateId: number, body: TemplateVersionIn) =>
  api.post<Template>(id(TEMPLATE_VERSIONS, 'template_id', templateId), body)
export const setTemplateActive = (templateId: number, isActive: boolean) =>
  api.post<Template>(id(TEMPLATE_ACTIVE, 'template_id', templateId), { is_active: isActive })

// --- events and rules ----------------------------------------------------------------------------
export const listEvents = () => api.get<EventItem[]>(EVENTS)
export const saveRule = (body: RuleIn) => api.put<EventItem>(RULES, body)

// --- sends ---------------------------------------------------------------------------------------
export const listSends = (query: { status?: string; kind?: string; q?: string; page: number; size: number }) =>
  api.get<Page<SendDetail>>(SENDS, query)
export const getSend = (sendId: number) => api.get<SendDetail>(id(SEND, 'send_id', sendId))
export const createSend = (body: SendIn) => api.post<SendDetail>(SENDS, body)
export const cancelSend = (sendId: number) => api.post<SendDetail>(id(SEND_CANCEL, 'send_id', sendId))

/** Upload a list of phone numbers or credit codes (multipart). */
export async function uploadList(kind: 'phones' | 'credit_codes', file: File): Promise<ListUpload> {
  const form = new FormData()
  form.append('kind', kind)
  form.append('file', file)
  const response = await fetch(LISTS.startsWith('/api/') ? LISTS : API_BASE + LISTS, {
    method: 'POST',
    body: form,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'X-CSRFToken': readCookie('qifu_csrftoken') },
  })
  const text = await response.text()
  let body: { code?: string; message?: string; detail?: Record<string, unknown> } | undefined
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (!response.ok) {
    const message = body?.message || (response.status === 413 ? '文件过大' : '上传失败，请稍后重试')
    throw new ApiError(response.status, body?.code ?? `http.${response.status}`, message, body?.detail ?? {})
  }
  return body as unknown as ListUpload
}

// --- logs ----------------------------------------------------------------------------------------
export const listDeliveries = (query: { send_id?: number | ''; channel?: string; state?: string; q?: string; page: number; size: number }) =>
  api.get<Page<Delivery>>(DELIVERIES, query)
export const listPushes = (query: { send_id?: number | ''; channel?: string; ok?: string; provider?: string; page: number; size: number }) =>
  api.get<Page<Push>>(PUSHES, query)
