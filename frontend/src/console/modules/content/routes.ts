import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'content/articles', name: 'content-articles', component: () => import('./ArticleListPage.vue'), meta: { title: '资讯内容' } },
  { path: 'content/slots', name: 'content-slots', component: () => import('./SlotPage.vue'), meta: { title: '运营配置' } },
  { path: 'content/intro', name: 'content-intro', component: () => import('./IntroPage.vue'), meta: { title: '平台介绍' } },
]

export default routes
