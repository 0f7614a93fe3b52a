import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'policies', name: 'policies', component: () => import('./PolicyListPage.vue'), meta: { title: '政策', tab: { order: 20, icon: 'description' } } },
  { path: 'policies/subscription', name: 'policy-subscription', component: () => import('./SubscriptionPage.vue'), meta: { title: '政策订阅' } },
  { path: 'policies/:id(\\d+)', name: 'policy-detail', component: () => import('./PolicyDetailPage.vue'), meta: { title: '政策详情' } },
]

export default routes
