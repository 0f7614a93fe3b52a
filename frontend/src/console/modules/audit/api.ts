import { API_BASE, api, type Page } from '@/shared/api'

export interface AuditEntry {
  id: number
  at: string
  actor_id: number | null
  actor_label: string
  organisation_id: number | null
  action: string
  object_type: string
  object_id: string
  object_repr: string
  changes: Record<string, unknown>
  ip: string | null
  user_agent: string
  request_id: string
  outcome: string
}
export interface LoginEntry {
  id: number
  at: string
  user_id: number | null
  identifier: string
  outcome: string
  method: string
  reason: string
  ip: string | null
  user_agent: string
}
export type AuditQuery = Record<string, string | number | undefined>

const base = `${API_BASE}/access/audit`
type Query = Parameters<typeof api.get>[1]
export const listOperations = (query: object) => api.get<Page<AuditEntry>>(`${base}/operations`, query as Query)
export const listLogins = (query: object) => api.get<Page<LoginEntry>>(`${base}/logins`, query as Query)
export interface ChainResult {
  scope: 'tenant' | 'platform'
  checked: number
  newly_checked: number
  intact: boolean
  broken_id: number | null
  reason: string
  retention_days: number
}
/** Verify the hash chain: this tenant's entries (resuming where the last check stopped), or from the start. */
export const checkChain = (full = false) => api.get<ChainResult>(`${base}/chain`, { full } as Query)

/** The export URL for the current filters (the browser downloads it with the session cookie). */
export function exportUrl(kind: 'operations' | 'logins', filters: AuditQuery): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v))
  const qs = params.toString()
  return `${base}/${kind}/export${qs ? `?${qs}` : ''}`
}

export const OUTCOMES: Record<string, { label: string; type: 'success' | 'danger' | 'warning' }> = {
  success: { label: '成功', type: 'success' },
  failure: { label: '失败', type: 'danger' },
  denied: { label: '拒绝', type: 'warning' },
}

export const REASONS: Record<string, string> = {
  bad_credentials: '密码错误',
  unknown_user: '账号不存在',
}

/** '2026-11-22T14:03:05+08:00' → '2026-11-22 14:03:05' in the viewer's local time. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—'
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}
