import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'content', name: 'content', component: () => import('./ContentHomePage.vue'), meta: { title: '资讯中心', nav: 60 } },
  { path: 'content/:id(\\d+)', name: 'content-detail', component: () => import('./ArticlePage.vue'), meta: { title: '资讯详情' } },
  { path: 'about', name: 'about', component: () => import('./AboutPage.vue'), meta: { title: '平台介绍', nav: 90 } },
]

export default routes
