import { reactive } from 'vue'
import { fetchUnreadQuietly } from './api'

/**
 * The signed-in user's unread message count, shared by the header badge (portal, H5) and the
 * message centre pages. `signedIn` stays false for visitors: the badge is then not shown.
 */
export const unreadState = reactive({ count: 0, signedIn: false })

export async function refreshUnread(): Promise<void> {
  try {
    unreadState.count = (await fetchUnreadQuietly()).unread
    unreadState.signedIn = true
  } catch {
    unreadState.count = 0
    unreadState.signedIn = false
  }
}

let timer: ReturnType<typeof setInterval> | null = null

/** Refresh now and every minute while the page is visible (the layouts start this once). */
export function watchUnread(): void {
  refreshUnread()
  if (timer !== null) return
  timer = setInterval(() => {
    if (document.visibilityState === 'visible') refreshUnread()
  }, 60_000)
}
