/**
 * A paged, filtered list backed by an API returning {items, total, page, size}.
 * Errors are shown with ElMessage; a slow response never overwrites a newer one.
 */
import { reactive, ref, shallowRef } from 'vue'
import { ElMessage } from 'element-plus'
import { errorMessage, type Page } from '@/shared/api'

export interface PageParams {
  page: number
  size: number
}

export function usePagedList<T, F extends object>(fetchPage: (params: F & PageParams) => Promise<Page<T>>, initialFilters: F, pageSize = 20) {
  const filters = reactive({ ...initialFilters }) as F
  const items = shallowRef<T[]>([])
  const total = ref(0)
  const page = ref(1)
  const size = ref(pageSize)
  const loading = ref(false)
  let latest = 0

  async function load() {
    const ticket = ++latest
    loading.value = true
    try {
      const result = await fetchPage({ ...filters, page: page.value, size: size.value })
      if (ticket !== latest) return
      items.value = result.items
      total.value = result.total
    } catch (error) {
      if (ticket === latest) ElMessage.error(errorMessage(error))
    } finally {
      if (ticket === latest) loading.value = false
    }
  }

  /** Apply the filters from the first page. */
  function search() {
    page.value = 1
    return load()
  }

  function reset() {
    Object.assign(filters, initialFilters)
    return search()
  }

  return { filters, items, total, page, size, loading, load, search, reset }
}
