import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'workbench/accounts', name: 'workbench-accounts', component: () => import('./SubAccountsPage.vue'), meta: { title: '子账号管理' } },
]

export default routes
