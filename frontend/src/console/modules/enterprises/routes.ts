import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  {
    path: 'enterprises',
    name: 'enterprises',
    component: () => import('./EnterpriseListPage.vue'),
    meta: { title: '企业库' },
  },
]

export default routes
