import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  {
    path: 'finance/applications',
    name: 'finance-applications',
    component: () => import('./LoanListPage.vue'),
    props: { side: 'government', title: '辖区融资申请' },
    meta: { title: '融资申请' },
  },
]

export default routes
