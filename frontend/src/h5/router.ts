import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { collectRoutes } from '@/shared/modules'
import TabLayout from './layout/TabLayout.vue'

// Each capability adds its mobile pages in src/h5/modules/<name>/routes.ts (children of the
// layout); a route with meta.tab appears in the bottom tab bar.
const moduleRoutes = collectRoutes(import.meta.glob('./modules/*/routes.ts', { eager: true }))

const routes: RouteRecordRaw[] = [
  {
    path: '/',
    component: TabLayout,
    children: [
      { path: '', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { title: '首页', tab: { order: 0, icon: 'home-o' } } },
      { path: 'mine', name: 'mine', component: () => import('./pages/MinePage.vue'), meta: { title: '我的', tab: { order: 100, icon: 'user-o' } } },
      ...moduleRoutes,
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory('/h5/'), routes })

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 企服平台` : '企服平台'
})
