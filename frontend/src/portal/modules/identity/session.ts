/** Where the portal sends someone after they sign in or register, and who is signed in. */
import { reactive } from 'vue'
import { ApiError } from '@/shared/api'
import { fetchMe } from '@/shared/auth'
import type { Me } from '@/shared/schemas'

/**
 * ``next`` as a path of this site, or null. Browsers read ``/\evil.example`` as
 * ``//evil.example`` and drop tabs and newlines inside URLs, so a string that merely starts
 * with one slash is not enough: refuse backslashes, control characters and ``//``, then resolve
 * it against this origin and keep it only if it stays here.
 */
export function safeNext(next: unknown): string | null {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return null
  if (next.includes('\\') || /[\u0000-\u001f\u007f]/.test(next)) return null
  let url: URL
  try {
    url = new URL(next, window.location.origin)
  } catch {
    return null
  }
  if (url.origin !== window.location.origin) return null
  return url.pathname + url.search + url.hash
}

export function landingFor(me: Me, next?: unknown): string {
  const path = safeNext(next)
  if (path) return path
  if (me.must_change_password) return '/console/identity/change-password'
  if (me.organisation?.kind === 'enterprise') return '/certification'
  return '/console/'
}

/** Who is signed in to the portal (null when nobody is); ``checked`` once the server answered. */
export const portalSession = reactive({ me: null as Me | null, checked: false })

export async function loadPortalSession(): Promise<void> {
  try {
    portalSession.me = await fetchMe({ skipAuthRedirect: true })
  } catch (error) {
    portalSession.me = null
    if (!(error instanceof ApiError && error.status === 401)) throw error
  } finally {
    portalSession.checked = true
  }
}
