import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'audit/operations', name: 'audit-operations', component: () => import('./OperationLogPage.vue'), meta: { title: '操作日志' } },
  { path: 'audit/logins', name: 'audit-logins', component: () => import('./LoginLogPage.vue'), meta: { title: '登录日志' } },
]

export default routes
