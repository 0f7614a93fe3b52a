import { api, type Page } from '@/shared/api'
import type { paths } from '@/shared/api-types'

// The message centre of every signed-in user (portal and H5 share these calls).
const INBOX = '/api/v1/messaging/inbox' satisfies keyof paths
const UNREAD = '/api/v1/messaging/inbox/unread' satisfies keyof paths
const READ_ALL = '/api/v1/messaging/inbox/read-all' satisfies keyof paths
const MESSAGE = '/api/v1/messaging/inbox/{message_id}' satisfies keyof paths
const MESSAGE_READ = '/api/v1/messaging/inbox/{message_id}/read' satisfies keyof paths
const PREFERENCES = '/api/v1/messaging/preferences' satisfies keyof paths
const CATEGORIES = '/api/v1/messaging/categories' satisfies keyof paths

export type Message = paths[typeof MESSAGE]['get']['responses'][200]['content']['application/json']
export type Unread = paths[typeof UNREAD]['get']['responses'][200]['content']['application/json']
export type Preference = paths[typeof PREFERENCES]['get']['responses'][200]['content']['application/json'][number]
export type PreferenceChange = { category: string; channel: 'sms' | 'wechat' | 'email'; opted_out: boolean }

const messagePath = (path: string, id: number) => path.replace('{message_id}', String(id))

export const listMessages = (query: { category?: string; is_read?: string; q?: string; page: number; size: number }) =>
  api.get<Page<Message>>(INBOX, query)
export const fetchUnread = () => api.get<Unread>(UNREAD)
/** For the header badge: a visitor's 401 is not an error worth a redirect. */
export const fetchUnreadQuietly = () => api.get<Unread>(UNREAD, undefined, { skipAuthRedirect: true })
export const readMessage = (id: number) => api.post<Message>(messagePath(MESSAGE_READ, id))
export const readAll = (category = '') => api.post<{ count: number }>(READ_ALL, { category })
export const deleteMessage = (id: number) => api.delete(messagePath(MESSAGE, id))
export const fetchPreferences = () => api.get<Preference[]>(PREFERENCES)
export const savePreferences = (changes: PreferenceChange[]) => api.put<Preference[]>(PREFERENCES, { changes })

export type Category = paths[typeof CATEGORIES]['get']['responses'][200]['content']['application/json'][number]

let categoriesOnce: Promise<Category[]> | null = null
/** The message categories of the server's registry (fetched once per page load). */
export function fetchCategories(): Promise<Category[]> {
  categoriesOnce ??= api.get<Category[]>(CATEGORIES).catch((error) => {
    categoriesOnce = null
    throw error
  })
  return categoriesOnce
}

/** Filter options: every category plus "all". */
export async function categoryOptions(): Promise<{ value: string; label: string }[]> {
  const categories = await fetchCategories()
  return [{ value: '', label: '全部类别' }, ...categories.map((c) => ({ value: c.code, label: c.label }))]
}
