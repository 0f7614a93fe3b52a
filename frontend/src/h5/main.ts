import { createApp } from 'vue'
import Vant, { Locale } from 'vant'
import zhCN from 'vant/es/locale/lang/zh-CN'
import 'vant/lib/index.css'
import App from './App.vue'
import { router } from './router'

Locale.use('zh-CN', zhCN)

createApp(App).use(Vant).use(router).mount('#app')
