import 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    /** Page title (document title, headings). */
    title?: string
    /** Console: reachable without signing in (the login page). */
    public?: boolean
    /** Portal: show in the header nav, sorted by this number. */
    nav?: number
    /** H5: show as a bottom tab, sorted by `order`; `icon` is a Vant icon name. */
    tab?: { order: number; icon: string }
  }
}

export {}
