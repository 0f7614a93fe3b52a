import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { collectRoutes } from '@/shared/modules'
import PortalLayout from './layout/PortalLayout.vue'

// Each capability adds its public pages in src/portal/modules/<name>/routes.ts (children of the
// layout); a route with meta.nav appears in the header nav.
const moduleRoutes = collectRoutes(import.meta.glob('./modules/*/routes.ts', { eager: true }))

const routes: RouteRecordRaw[] = [
  {
    path: '/',
    component: PortalLayout,
    children: [
      { path: '', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { title: '首页', nav: 0 } },
      ...moduleRoutes,
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.afterEach((to) => {
  document.title = to.meta.title && to.name !== 'home' ? `${to.meta.title} · 企服平台` : '企服平台'
})
