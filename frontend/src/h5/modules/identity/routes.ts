import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'login', name: 'h5-login', component: () => import('./LoginPage.vue'), meta: { title: '登录' } },
  { path: 'register', name: 'h5-register', component: () => import('./RegisterPage.vue'), meta: { title: '企业注册' } },
]

export default routes
