/**
 * The one HTTP client for every app. Same-origin cookies (Django session), the CSRF header on
 * writes, and the platform's error shape turned into an ApiError:
 *   {"code": "domain.reason", "message": "中文说明", "detail": {...}}
 * On 422, detail.fields is {field: [messages]}. Lists come as {items, total, page, size}.
 */

export const API_BASE = '/api/v1'
const CSRF_COOKIE = 'qifu_csrftoken'
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface Page<T> {
  items: T[]
  total: number
  page: number
  size: number
}

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: Record<string, unknown>

  constructor(status: number, code: string, message: string, detail: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.detail = detail
  }

  /** Per-field messages of a 422 validation error (empty object otherwise). */
  get fields(): FieldErrors {
    const fields = this.detail.fields
    return fields && typeof fields === 'object' ? (fields as FieldErrors) : {}
  }
}

type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** Do not call the 401 handler (used by the login form itself). */
  skipAuthRedirect?: boolean
  signal?: AbortSignal
}

let onUnauthorized: ((error: ApiError) => void) | null = null

/** Each app may decide what a 401 means (the console sends the user to its login page). */
export function setUnauthorizedHandler(handler: ((error: ApiError) => void) | null): void {
  onUnauthorized = handler
}

export function readCookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return ''
}

function buildUrl(path: string, query?: Query): string {
  const url = path.startsWith('/api/') ? path : API_BASE + path
  if (!query) return url
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.append(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${url}?${qs}` : url
}

const STATUS_MESSAGES: Record<number, string> = {
  400: '请求有误',
  401: '请先登录',
  403: '没有执行此操作的权限',
  404: '对象不存在或无权访问',
  409: '数据已被修改，请刷新后重试',
  413: '提交的内容过大',
  422: '提交的数据有误',
  429: '操作过于频繁，请稍后再试',
}

async function toError(response: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    // not JSON (a proxy's error page, say): fall back to a message by status
  }
  const fallback = STATUS_MESSAGES[response.status] ?? `服务器错误（${response.status}），请稍后再试`
  if (body && typeof body === 'object') {
    const { code, message, detail } = body as { code?: unknown; message?: unknown; detail?: unknown }
    return new ApiError(
      response.status,
      typeof code === 'string' ? code : `http.${response.status}`,
      typeof message === 'string' && message ? message : fallback,
      detail && typeof detail === 'object' ? (detail as Record<string, unknown>) : {},
    )
  }
  return new ApiError(response.status, `http.${response.status}`, fallback)
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal: options.signal }
  if (UNSAFE.has(method)) {
    headers['X-CSRFToken'] = readCookie(CSRF_COOKIE)
  }
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(options.body)
  }

  let response: Response
  try {
    response = await fetch(buildUrl(path, options.query), init)
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
    throw new ApiError(0, 'network.unreachable', '网络连接失败，请检查网络后重试')
  }

  if (!response.ok) {
    const error = await toError(response)
    if (error.status === 401 && !options.skipAuthRedirect) onUnauthorized?.(error)
    throw error
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export const api = {
  get: <T>(path: string, query?: Query, options: Omit<RequestOptions, 'query'> = {}) =>
    request<T>('GET', path, { ...options, query }),
  post: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
    request<T>('POST', path, { ...options, body }),
  put: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
    request<T>('PUT', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
    request<T>('PATCH', path, { ...options, body }),
  delete: <T = void>(path: string, options: RequestOptions = {}) => request<T>('DELETE', path, options),
}

/** A message fit to show the user, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return '操作失败，请稍后再试'
}
