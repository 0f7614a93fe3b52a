import { reactive, ref } from 'vue'
import { api } from '@/shared/api'
import type { paths } from '@/shared/api-types'
import { fetchUnread } from './api'

const CATEGORIES = '/api/v1/messaging/categories' satisfies keyof paths
export type Category = paths[typeof CATEGORIES]['get']['responses'][200]['content']['application/json'][number]

/** The server's registry of message categories, loaded once (labels, filters, the send form). */
export const categories = ref<Category[]>([])
let loading: Promise<void> | null = null

export function loadCategories(): Promise<void> {
  loading ??= api
    .get<Category[]>(CATEGORIES)
    .then((list) => {
      categories.value = list
    })
    .catch(() => {
      loading = null // try again next time; selects stay empty meanwhile
    })
  return loading
}

export const categoryLabel = (code: string) => categories.value.find((c) => c.code === code)?.label ?? code

/** The signed-in user's unread count: the header bell and 我的消息 share it. */
export const unreadState = reactive({ count: 0 })

export async function refreshUnread(): Promise<number> {
  unreadState.count = (await fetchUnread()).unread
  return unreadState.count
}
