import type { RouteRecordRaw } from 'vue-router'

/**
 * Flatten the route arrays that `import.meta.glob('./modules/*\/routes.ts', { eager: true })`
 * found. Each module file exports `default` an array of RouteRecordRaw.
 */
export function collectRoutes(found: Record<string, unknown>): RouteRecordRaw[] {
  return Object.keys(found)
    .sort()
    .flatMap((file) => (found[file] as { default?: RouteRecordRaw[] }).default ?? [])
}
