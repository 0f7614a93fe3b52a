import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import { setUnauthorizedHandler } from '@/shared/api'
import App from './App.vue'
import { router } from './router'
import { clearSession } from './session'

// A 401 anywhere means the session ended: back to the login page, then back here.
setUnauthorizedHandler(() => {
  clearSession()
  const current = router.currentRoute.value
  if (!current.meta.public) router.replace({ name: 'login', query: { next: current.fullPath } })
})

createApp(App).use(ElementPlus, { locale: zhCn }).use(router).mount('#app')
