import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'login', name: 'login', component: () => import('./LoginPage.vue'), meta: { title: '登录' } },
  { path: 'register', name: 'register', component: () => import('./RegisterPage.vue'), meta: { title: '企业注册' } },
  { path: 'forgot-password', name: 'forgot-password', component: () => import('./ForgotPasswordPage.vue'), meta: { title: '找回密码' } },
  { path: 'certification', name: 'certification', component: () => import('./CertificationPage.vue'), meta: { title: '企业认证' } },
  { path: 'institution-apply', name: 'institution-apply', component: () => import('./InstitutionApplyPage.vue'), meta: { title: '服务机构入驻' } },
]

export default routes
