import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { ElMessage } from 'element-plus'
import { ApiError, errorMessage } from '@/shared/api'
import { collectRoutes } from '@/shared/modules'
import ConsoleLayout from './layout/ConsoleLayout.vue'
import { loadSession, session } from './session'

// Each capability adds its pages in src/console/modules/<name>/routes.ts (children of the layout).
const moduleRoutes = collectRoutes(import.meta.glob('./modules/*/routes.ts', { eager: true }))

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true, title: '登录' } },
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

router.beforeEach(async (to) => {
  if (to.meta.public || session.me) return true
  try {
    await loadSession()
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return { name: 'login', query: { next: to.fullPath } }
    ElMessage.error(errorMessage(error))
  }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 企服控制台` : '企服控制台'
})
