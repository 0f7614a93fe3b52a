import { type Ref, ref } from 'vue'
import { ApiError, errorMessage } from '@/shared/api'

/**
 * The state behind a Vant `<van-list>` that loads page after page of an API list
 * (`{items, total}`): what every H5 list page needs, in one place.
 *
 * - `loadMore` asks for the next page; `restart` starts again from page 1 (new filters).
 * - A page that arrives after a restart is dropped, so a slow answer for old filters never
 *   mixes into the new list.
 * - Rows are de-duplicated by `id`: after a row is removed on screen, the next page may
 *   repeat one already shown.
 * - A 401 sets `needLogin` (pages for signed-in people show a login prompt); any other
 *   failure sets `error` with the server's message.
 */
export function usePagedList<T extends { id: number | string }>(
  fetchPage: (page: number, size: number) => Promise<{ items: T[]; total: number }>,
  size = 10,
) {
  const items = ref([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(0)
  const loading = ref(false)
  const finished = ref(false)
  const error = ref('')
  const needLogin = ref(false)
  let ticket = 0

  async function loadMore() {
    const mine = ticket
    loading.value = true
    try {
      const result = await fetchPage(page.value + 1, size)
      if (mine !== ticket) return
      const seen = new Set(items.value.map((x) => x.id))
      items.value = [...items.value, ...result.items.filter((x) => !seen.has(x.id))]
      total.value = result.total
      page.value += 1
      finished.value = page.value * size >= result.total
    } catch (e) {
      if (mine !== ticket) return
      if (e instanceof ApiError && e.status === 401) needLogin.value = true
      else error.value = errorMessage(e)
      finished.value = true
    } finally {
      if (mine === ticket) loading.value = false
    }
  }

  function restart() {
    ticket += 1
    items.value = []
    total.value = 0
    page.value = 0
    finished.value = false
    error.value = ''
    loadMore()
  }

  return { items, total, page, loading, finished, error, needLogin, loadMore, restart }
}
