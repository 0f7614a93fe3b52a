import type { RouteRecordRaw } from 'vue-router'

// The financial institution's workbench (机构工作台) for financing.
const routes: RouteRecordRaw[] = [
  { path: 'workbench-finance/products', name: 'workbench-finance-products', component: () => import('./ProductsPage.vue'), meta: { title: '金融产品' } },
  {
    path: 'workbench-finance/applications',
    name: 'workbench-finance-applications',
    component: () => import('../finance/LoanListPage.vue'),
    props: { side: 'institution', title: '融资申请受理' },
    meta: { title: '融资申请受理' },
  },
]

export default routes
