import type { RouteRecordRaw } from 'vue-router'

// The institution workbench (机构工作台) for the marketplace.
const routes: RouteRecordRaw[] = [
  { path: 'workbench-market/products', name: 'workbench-market-products', component: () => import('./ProductsPage.vue'), meta: { title: '我的服务产品' } },
  {
    path: 'workbench-market/applications',
    name: 'workbench-market-applications',
    component: () => import('../marketplace/ApplicationListPage.vue'),
    props: { side: 'institution', title: '服务订单', exportable: true },
    meta: { title: '服务订单' },
  },
  { path: 'workbench-market/ratings', name: 'workbench-market-ratings', component: () => import('./RatingsPage.vue'), meta: { title: '服务评价' } },
]

export default routes
