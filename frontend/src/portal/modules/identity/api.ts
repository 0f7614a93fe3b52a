/**
 * Identity (C1) calls shared by the portal, H5 and console pages.
 * Shapes mirror qifu/accounts/schemas.py (kept here so the pages do not depend on the
 * generated contract file being regenerated first).
 */
import { api, ApiError, readCookie, API_BASE, type Page } from '@/shared/api'
import type { Me } from '@/shared/schemas'

export interface Captcha {
  id: string
  image: string
  expires_in: number
}

export interface LoginPolicy {
  captcha: 'always' | 'after_failure' | 'off'
  captcha_required: boolean
  password_min_length: number
  password_min_classes: number
  password_history: number
  sms_code_ttl_seconds: number
  sms_resend_seconds: number
  session_idle_minutes: number
}

export type SmsPurpose = 'register' | 'login' | 'reset' | 'institution'

export interface CertificationEvent {
  from_status: string
  to_status: string
  reason: string
  actor_label: string
  at: string
}

export interface Certification {
  id: number
  status: string
  status_label: string
  company_name: string
  credit_code: string
  legal_rep_name: string
  legal_rep_id_number: string
  town: { id: number; name: string; kind: string }
  enterprise_id: number
  is_dispute: boolean
  reason: string
  verification: { result?: string; reason?: string }
  licence_name: string
  consent_version: string
  consent_at: string
  submitted_by: string
  reviewed_by: string
  created_at: string
  reviewed_at: string | null
  events: CertificationEvent[]
}

export interface MyCertification {
  enterprise_id: number
  enterprise_name: string
  certification: string
  certified_at: string | null
  application: Certification | null
}

export interface Town {
  id: number
  name: string
  kind: string
}

export interface InstitutionApplication {
  id: number
  name: string
  kind: string
  kind_label: string
  credit_code: string
  contact_name: string
  contact_phone: string
  introduction: string
  status: string
  status_label: string
  reason: string
  licence_name: string
  created_at: string
  reviewed_at: string | null
  institution_id: number | null
}

export interface Operator {
  id: number
  username: string
  name: string
  phone: string
  is_active: boolean
  must_change_password: boolean
  roles: string[]
  last_login: string | null
}

export interface AccountCreated {
  user: Operator
  initial_password: string
}

export interface SessionRow {
  id: number
  created_at: string
  last_seen_at: string
  ip: string | null
  user_agent: string
  method: string
  current: boolean
}

export const CERTIFICATION_LABELS: Record<string, { label: string; type: 'info' | 'warning' | 'success' | 'danger' | 'primary' }> = {
  none: { label: '未认证', type: 'info' },
  pending: { label: '认证审核中', type: 'warning' },
  more_info: { label: '需补充材料', type: 'warning' },
  certified: { label: '已认证', type: 'success' },
  rejected: { label: '认证未通过', type: 'danger' },
}

export const APPLICATION_LABELS: Record<string, string> = {
  submitted: '已提交',
  pending_review: '待人工审核',
  more_info: '需补充材料',
  approved: '已认证',
  rejected: '未通过',
  revoked: '已撤销',
}

export const INSTITUTION_KINDS: Record<string, string> = {
  legal: '法律服务',
  tax: '财税服务',
  hr: '人力资源',
  ip: '知识产权',
  certification: '检验认证',
  technology: '科技创新',
  digital: '数字化转型',
  bank: '银行',
  guarantor: '担保机构',
  insurer: '保险机构',
  other: '其他',
}

const csrf = () => api.get<void>('/auth/csrf')

export const fetchPolicy = (username = '') => api.get<LoginPolicy>('/auth/policy', { username })
export const fetchCaptcha = () => api.get<Captcha>('/auth/captcha')

export async function loginPassword(body: { username: string; password: string; captcha_id?: string; captcha_answer?: string }) {
  await csrf()
  return api.post<Me>('/auth/login', body, { skipAuthRedirect: true })
}

export async function requestSmsCode(body: { phone: string; purpose: SmsPurpose; captcha_id: string; captcha_answer: string }) {
  await csrf()
  return api.post<{ message: string; resend_after_seconds: number }>('/auth/sms-code', body, { skipAuthRedirect: true })
}

export const loginSms = (body: { phone: string; code: string }) => api.post<Me>('/auth/login/sms', body, { skipAuthRedirect: true })
export const loginTotp = (code: string) => api.post<Me>('/auth/login/totp', { code }, { skipAuthRedirect: true })

export const register = (body: { phone: string; sms_code: string; company_name: string; contact_name: string; password?: string }) =>
  api.post<Me>('/auth/register', body, { skipAuthRedirect: true })

export const resetPassword = (body: { phone: string; sms_code: string; new_password: string }) =>
  api.post<void>('/auth/password/reset', body, { skipAuthRedirect: true })

export const changePassword = (body: { old_password: string; new_password: string }) => api.post<Me>('/auth/password', body)

export const fetchConsent = () => api.get<{ version: string; text: string }>('/auth/consent')
export const fetchTowns = () => api.get<Town[]>('/auth/towns')
export const fetchMyCertification = () => api.get<MyCertification>('/auth/certification')

/** Multipart POST (uploads) with the CSRF header and the platform's error shape. */
export async function postForm<T>(path: string, form: FormData): Promise<T> {
  const response = await fetch(API_BASE + path, {
    method: 'POST',
    body: form,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'X-CSRFToken': readCookie('qifu_csrftoken') },
  })
  const text = await response.text()
  const body = text ? JSON.parse(text) : undefined
  if (!response.ok) {
    const message = body?.message || (response.status === 413 ? '文件过大' : '提交失败，请稍后重试')
    throw new ApiError(response.status, body?.code ?? `http.${response.status}`, message, body?.detail ?? {})
  }
  return body as T
}

export const submitCertification = (form: FormData) => postForm<MyCertification>('/auth/certification', form)
export interface InstitutionProgress {
  id: number
  name: string
  kind_label: string
  credit_code: string
  status: string
  status_label: string
  reason: string
  created_at: string
  reviewed_at: string | null
}
/** The applications filed with this contact phone (the SMS code proves the phone). */
export const lookupInstitutionApplications = (phone: string, smsCode: string) =>
  api.post<InstitutionProgress[]>('/auth/institution-applications/status', { phone, sms_code: smsCode })
export const applyInstitution = (form: FormData) => postForm<{ id: number; status: string; message: string }>('/auth/institution-applications', form)

// --- console -------------------------------------------------------------------------------
export const listCertifications = (query: { status?: string; q?: string; page: number; size: number }) =>
  api.get<Page<Certification>>('/auth/certifications', query)
export const approveCertification = (id: number, body: { note?: string; revoke_other?: boolean }) =>
  api.post<Certification>(`/auth/certifications/${id}/approve`, body)
export const rejectCertification = (id: number, reason: string) => api.post<Certification>(`/auth/certifications/${id}/reject`, { reason })
export const requestMoreCertification = (id: number, reason: string) =>
  api.post<Certification>(`/auth/certifications/${id}/request-more`, { reason })
export const certificationLicenceUrl = (id: number) => `${API_BASE}/auth/certifications/${id}/licence`

export const listInstitutionApplications = (query: { status?: string; page: number; size: number }) =>
  api.get<Page<InstitutionApplication>>('/auth/institution-applications', query)
export const approveInstitution = (id: number, note = '') => api.post<InstitutionApplication>(`/auth/institution-applications/${id}/approve`, { note })
export const rejectInstitution = (id: number, reason: string) =>
  api.post<InstitutionApplication>(`/auth/institution-applications/${id}/reject`, { reason })
export const institutionLicenceUrl = (id: number) => `${API_BASE}/auth/institution-applications/${id}/licence`

export const listOperators = (query: { page: number; size: number }) => api.get<Page<Operator>>('/auth/subaccounts', query)
export const createOperator = (body: { name: string; phone: string; role: string; title?: string }) => api.post<AccountCreated>('/auth/subaccounts', body)
export const setOperatorActive = (id: number, active: boolean) => api.post<Operator>(`/auth/subaccounts/${id}/${active ? 'enable' : 'disable'}`)
export const resetOperatorPassword = (id: number) => api.post<{ initial_password: string }>(`/auth/subaccounts/${id}/reset-password`)

export const createStaff = (body: { name: string; phone: string; organisation_id: number; role: string; username?: string; title?: string }) =>
  api.post<AccountCreated>('/auth/staff', body)

export const listSessions = () => api.get<SessionRow[]>('/auth/sessions')
export const revokeSession = (id: number) => api.post<void>(`/auth/sessions/${id}/revoke`)
export const logoutEverywhere = () => api.post<{ count: number }>('/auth/logout-everywhere')
export const fetchTotp = () => api.get<{ enrolled: boolean; required: boolean }>('/auth/totp')
export const setupTotp = () => api.post<{ secret: string; otpauth_uri: string }>('/auth/totp/setup')
export const confirmTotp = (code: string) => api.post<{ enrolled: boolean; required: boolean }>('/auth/totp/confirm', { code })
export const disableTotp = (body: { password: string; code: string }) => api.post<{ enrolled: boolean; required: boolean }>('/auth/totp/disable', body)
