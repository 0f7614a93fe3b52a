import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'finance', name: 'finance', component: () => import('./FinanceListPage.vue'), meta: { title: '融资', tab: { order: 40, icon: 'gold-coin-o' } } },
  { path: 'finance/mine', name: 'finance-mine', component: () => import('./MyLoansPage.vue'), meta: { title: '我的融资申请' } },
  { path: 'finance/:id(\\d+)', name: 'finance-product', component: () => import('./FinanceProductPage.vue'), meta: { title: '金融产品' } },
]

export default routes
