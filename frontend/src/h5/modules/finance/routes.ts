import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'finance', name: 'finance', component: () => import('./FinanceListPage.vue'), meta: { title: '融资', tab: { order: 40, icon: 'gold-coin-o' } } },
  { path: 'finance/:id(\\d+)', name: 'finance-product', component: () => import('./FinanceProductPage.vue'), meta: { title: '金融产品' } },
]

export default routes
