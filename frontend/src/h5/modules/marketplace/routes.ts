import type { RouteRecordRaw } from 'vue-router'

const routes: RouteRecordRaw[] = [
  { path: 'marketplace', name: 'marketplace', component: () => import('./MarketListPage.vue'), meta: { title: '服务', tab: { order: 30, icon: 'shop-o' } } },
  { path: 'marketplace/:id(\\d+)', name: 'marketplace-product', component: () => import('./MarketProductPage.vue'), meta: { title: '服务详情' } },
  { path: 'marketplace/favourites', name: 'marketplace-favourites', component: () => import('./MyFavouritesPage.vue'), meta: { title: '我的收藏' } },
  { path: 'marketplace/mine', name: 'marketplace-mine', component: () => import('./MyMarketPage.vue'), meta: { title: '我的服务申请' } },
]

export default routes
