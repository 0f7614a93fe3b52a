import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'finance', name: 'finance', component: () => import('./FinancePage.vue'), meta: { title: '融资服务', nav: 35 } },
  { path: 'finance/:id(\\d+)', name: 'finance-product', component: () => import('./FinanceProductPage.vue'), meta: { title: '金融产品详情' } },
  { path: 'finance/mine', name: 'finance-mine', component: () => import('./MyLoansPage.vue'), meta: { title: '我的融资申请' } },
]

export default routes
