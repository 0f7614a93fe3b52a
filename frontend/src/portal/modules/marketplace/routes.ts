import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'marketplace', name: 'marketplace', component: () => import('./MarketplacePage.vue'), meta: { title: '服务超市', nav: 30 } },
  { path: 'marketplace/:id(\\d+)', name: 'marketplace-product', component: () => import('./ProductPage.vue'), meta: { title: '服务详情' } },
  { path: 'marketplace/favourites', name: 'marketplace-favourites', component: () => import('./FavouritesPage.vue'), meta: { title: '我的收藏' } },
  { path: 'marketplace/mine', name: 'marketplace-mine', component: () => import('./MyApplicationsPage.vue'), meta: { title: '我的服务申请' } },
]

export default routes
