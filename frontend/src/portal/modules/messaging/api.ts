import { api, type Page } from '@/shared/api'
import type { paths } from '@/shared/api-types'

// The message centre of every signed-in user (portal and H5 share these calls).
const INBOX = '/api/v1/messaging/inbox' satisfies keyof paths
const UNREAD = '/api/v1/messaging/inbox/unread' satisfies keyof paths
const READ_ALL = '/api/v1/messaging/inbox/read-all' satisfies keyof paths
const MESSAGE = '/api/v1/messaging/inbox/{message_id}' satisfies keyof paths
const MESSAGE_READ = '/api/v1/messaging/inbox/{message_id}/read' satisfies keyof paths
const PREFERENCES = '/api/v1/messaging/preferences' satisfies keyof paths

export type Message = paths[typeof MESSAGE]['get']['responses'][200]['content']['application/json']
export type Unread = paths[typeof UNREAD]['get']['responses'][200]['content']['application/json']
export type Preference = paths[typeof PREFERENCES]['get']['responses'][200]['content']['application/json'][number]
export type PreferenceChange = { category: string; channel: 'sms' | 'wechat' | 'email'; opted_out: boolean }

const messagePath = (path: string, id: number) => path.replace('{message_id}', String(id))

export const listMessages = (query: { category?: string; is_read?: string; q?: string; page: number; size: number }) =>
  api.get<Page<Message>>(INBOX, query)
export const fetchUnread = () => api.get<Unread>(UNREAD)
export const readMessage = (id: number) => api.post<Message>(messagePath(MESSAGE_READ, id))
export const readAll = (category = '') => api.post<{ count: number }>(READ_ALL, { category })
export const deleteMessage = (id: number) => api.delete(messagePath(MESSAGE, id))
export const fetchPreferences = () => api.get<Preference[]>(PREFERENCES)
export const savePreferences = (changes: PreferenceChange[]) => api.put<Preference[]>(PREFERENCES, { changes })

export const CATEGORY_OPTIONS = [
  { value: '', label: '全部类别' },
  { value: 'policy', label: '政策推送' },
  { value: 'notice', label: '通知公告' },
  { value: 'application', label: '申请进度' },
  { value: 'review', label: '审核结果' },
  { value: 'expiry', label: '到期提醒' },
  { value: 'activity', label: '活动推广' },
]
