import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'content', name: 'content', component: () => import('./ContentPage.vue'), meta: { title: '资讯', tab: { order: 60, icon: 'newspaper-o' } } },
  { path: 'content/:id(\\d+)', name: 'content-detail', component: () => import('./ArticlePage.vue'), meta: { title: '资讯详情' } },
]

export default routes
