import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'policies', name: 'policies', component: () => import('./PolicyListPage.vue'), meta: { title: '政策管理' } },
  { path: 'policies/new', name: 'policy-new', component: () => import('./PolicyEditorPage.vue'), meta: { title: '新建政策' } },
  { path: 'policies/:id(\\d+)', name: 'policy-edit', component: () => import('./PolicyEditorPage.vue'), meta: { title: '编辑政策' } },
  { path: 'policies/reviews', name: 'policy-reviews', component: () => import('./ReviewQueuePage.vue'), meta: { title: '政策审核' } },
  { path: 'policies/tags', name: 'policy-tags', component: () => import('./TagLibraryPage.vue'), meta: { title: '标签库' } },
  { path: 'policies/sources', name: 'policy-sources', component: () => import('./SourceListPage.vue'), meta: { title: '政策归集' } },
]

export default routes
