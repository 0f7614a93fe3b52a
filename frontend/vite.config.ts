import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// Three HTML entries, served by Django: index.html (portal, "/"), console.html ("/console/"),
// h5.html ("/h5/"). Assets live under /static/ (whitenoise serves frontend/dist there).
export default defineConfig({
  base: '/static/',
  plugins: [vue()],
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
})
