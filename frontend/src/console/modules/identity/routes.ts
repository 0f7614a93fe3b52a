import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'identity/certifications', name: 'identity-certifications', component: () => import('./CertificationReviewPage.vue'), meta: { title: '认证审核' } },
  { path: 'identity/institutions', name: 'identity-institutions', component: () => import('./InstitutionReviewPage.vue'), meta: { title: '入驻审核' } },
  { path: 'identity/staff', name: 'identity-staff', component: () => import('./StaffPage.vue'), meta: { title: '工作人员账号' } },
  { path: 'identity/security', name: 'identity-security', component: () => import('./SecurityPage.vue'), meta: { title: '账号安全' } },
  { path: 'identity/change-password', name: 'identity-change-password', component: () => import('./ChangePasswordPage.vue'), meta: { title: '修改密码' } },
]

export default routes
