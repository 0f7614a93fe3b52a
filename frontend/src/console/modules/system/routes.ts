import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'system/dictionaries', name: 'system-dictionaries', component: () => import('./DictionaryPage.vue'), meta: { title: '字典管理' } },
  { path: 'system/parameters', name: 'system-parameters', component: () => import('./ParameterPage.vue'), meta: { title: '参数配置' } },
]

export default routes
