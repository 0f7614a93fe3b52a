import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'messages', name: 'messages', component: () => import('./MessageListPage.vue'), meta: { title: '消息', tab: { order: 90, icon: 'chat-o' } } },
]

export default routes
