import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves dist/ itself (src/ingress/dashboard-route.ts) under a CSP
// without inline scripts or styles: keep the build free of both.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/login': 'http://127.0.0.1:8080',
      '/logout': 'http://127.0.0.1:8080',
    },
  },
});
