import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'messaging/inbox', name: 'messaging-inbox', component: () => import('./InboxPage.vue'), meta: { title: '我的消息' } },
  { path: 'messaging/sends', name: 'messaging-sends', component: () => import('./SendListPage.vue'), meta: { title: '消息发送' } },
  { path: 'messaging/templates', name: 'messaging-templates', component: () => import('./TemplateListPage.vue'), meta: { title: '消息模板' } },
  { path: 'messaging/rules', name: 'messaging-rules', component: () => import('./RuleListPage.vue'), meta: { title: '事件推送规则' } },
  { path: 'messaging/deliveries', name: 'messaging-deliveries', component: () => import('./DeliveryLogPage.vue'), meta: { title: '投递日志' } },
  { path: 'messaging/pushes', name: 'messaging-pushes', component: () => import('./PushLogPage.vue'), meta: { title: '推送日志' } },
]

export default routes
