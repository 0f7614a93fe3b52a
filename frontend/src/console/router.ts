import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { ElMessage } from 'element-plus'
import { ApiError, errorMessage } from '@/shared/api'
import { collectRoutes } from '@/shared/modules'
import ConsoleLayout from './layout/ConsoleLayout.vue'
import { loadSession, session } from './session'

// Each capability adds its pages in src/console/modules/<name>/routes.ts (children of the layout).
const moduleRoutes = collectRoutes(import.meta.glob('./modules/*/routes.ts', { eager: true }))

const routes: RouteRecordRaw[] = [
  // The identity capability's login handles captcha, the TOTP step and the first-login password change.
  { path: '/login', name: 'login', component: () => import('./modules/identity/ConsoleLoginPage.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      { path: '', name: 'dashboard', component: () => import('./pages/DashboardPage.vue'), meta: { title: '工作台' } },
      ...moduleRoutes,
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

const CHANGE_PASSWORD = 'identity-change-password'

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.me) {
    try {
      await loadSession()
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return { name: 'login', query: { next: to.fullPath } }
      ElMessage.error(errorMessage(error))
      return true
    }
  }
  // The API refuses everything else until an initial or expired password is changed; say so up front.
  if (session.me?.must_change_password && to.name !== CHANGE_PASSWORD) return { name: CHANGE_PASSWORD }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 企服控制台` : '企服控制台'
})
