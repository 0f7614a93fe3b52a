import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/** Dev server only: route /console/* and /h5/* to their HTML entry, as Django does. */
function appFallback(): Plugin {
  return {
    name: 'qifu-app-fallback',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const url = req.url ?? '/'
        const isFile = /\.[a-z0-9]+(\?|$)/i.test(url) || url.startsWith('/@') || url.startsWith('/src/') || url.startsWith('/node_modules/')
        if (!isFile && !url.startsWith('/api/')) {
          if (url === '/console' || url.startsWith('/console/')) req.url = '/console.html'
          else if (url === '/h5' || url.startsWith('/h5/')) req.url = '/h5.html'
        }
        next()
      })
    },
  }
}

// Three HTML entries, served by Django: index.html (portal, "/"), console.html ("/console/"),
// h5.html ("/h5/"). Assets live under /static/ (whitenoise serves frontend/dist there).
export default defineConfig(({ command }) => ({
  // Built assets are served by Django under /static/; the dev server serves from its root.
  base: command === 'build' ? '/static/' : '/',
  plugins: [vue(), appFallback()],
  resolve: {
    alias: { '@': here('./src') },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        index: here('./index.html'),
        console: here('./console.html'),
        h5: here('./h5.html'),
      },
    },
  },
  server: {
    // `npm run dev` against a local `manage.py runserver` on :8000.
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
}))
