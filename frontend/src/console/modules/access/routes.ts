import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'access/roles', name: 'access-roles', component: () => import('./RoleListPage.vue'), meta: { title: '角色管理' } },
  { path: 'access/users', name: 'access-users', component: () => import('./UserListPage.vue'), meta: { title: '用户与授权' } },
  { path: 'access/profiles', name: 'access-profiles', component: () => import('./ProfileListPage.vue'), meta: { title: '安全配置文件' } },
  { path: 'access/online', name: 'access-online', component: () => import('./OnlineUsersPage.vue'), meta: { title: '在线用户' } },
  {
    path: 'access/organisations',
    name: 'access-organisations',
    component: () => import('./OrganisationTreePage.vue'),
    meta: { title: '组织机构' },
  },
]

export default routes
