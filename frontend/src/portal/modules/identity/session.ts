/** Where the portal sends someone after they sign in or register. */
import type { Me } from '@/shared/schemas'

export function landingFor(me: Me, next?: unknown): string {
  if (typeof next === 'string' && next.startsWith('/') && !next.startsWith('//')) return next
  if (me.must_change_password) return '/console/identity/change-password'
  if (me.organisation?.kind === 'enterprise') return '/certification'
  return '/console/'
}
