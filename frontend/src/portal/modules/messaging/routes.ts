import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'messages', name: 'messages', component: () => import('./MessageCentrePage.vue'), meta: { title: '消息中心', nav: 90 } },
  { path: 'messages/settings', name: 'message-settings', component: () => import('./PreferencesPage.vue'), meta: { title: '消息订阅设置' } },
]

export default routes
