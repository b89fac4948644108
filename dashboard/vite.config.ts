import { defineConfig } from 'vite';

/**
 * The dashboard is served by the server at /dashboard/ (src/http/routes/dashboard.ts).
 * Build: `npm run build:dashboard`. Develop: start the server, then `npx vite dashboard`,
 * which forwards API calls to TOOLPROXY_URL (default http://localhost:3000).
 */
const api = process.env.TOOLPROXY_URL ?? 'http://localhost:3000';

export default defineConfig({
  base: '/dashboard/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser that runs ES2022 modules supports modulepreload; no polyfill, no inline code.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/oauth', '/proxy', '/connect', '/dashboard/brand.json', '/dashboard/brand.css'].map((path) => [path, api])),
  },
});
