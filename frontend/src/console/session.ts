/** Who is signed in to the console, and the menu the server allows them. */
import { reactive } from 'vue'
import { fetchMe, fetchMenu } from '@/shared/auth'
import type { Me, MenuNode } from '@/shared/schemas'

export const session = reactive({
  me: null as Me | null,
  menu: [] as MenuNode[],
  /** Bumped when the organisation changes so open pages reload their data. */
  generation: 0,
})

export async function loadSession(): Promise<void> {
  const [me, menu] = await Promise.all([fetchMe({ skipAuthRedirect: true }), fetchMenu({ skipAuthRedirect: true })])
  session.me = me
  session.menu = menu
}

export async function setMe(me: Me): Promise<void> {
  session.me = me
  session.menu = await fetchMenu()
  session.generation += 1
}

export function clearSession(): void {
  session.me = null
  session.menu = []
}
