import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'marketplace/categories', name: 'marketplace-categories', component: () => import('./CategoriesPage.vue'), meta: { title: '服务类别' } },
  { path: 'marketplace/reviews', name: 'marketplace-reviews', component: () => import('./ReviewQueuePage.vue'), meta: { title: '产品审核' } },
  {
    path: 'marketplace/applications',
    name: 'marketplace-applications',
    component: () => import('./ApplicationListPage.vue'),
    props: { side: 'government', title: '辖区服务申请', exportable: true },
    meta: { title: '服务申请' },
  },
  {
    path: 'marketplace/subsidies',
    name: 'marketplace-subsidies',
    component: () => import('./ApplicationListPage.vue'),
    props: { side: 'government', title: '服务补贴核销', subsidyQueue: true },
    meta: { title: '补贴核销' },
  },
  { path: 'marketplace/programmes', name: 'marketplace-programmes', component: () => import('./ProgrammesPage.vue'), meta: { title: '补贴计划' } },
]

export default routes
