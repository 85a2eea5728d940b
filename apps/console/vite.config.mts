import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The analysts' console: a static bundle the query API serves at /console/ (QUERY_CONSOLE_DIR).
// `vite build -c apps/console/vite.config.mts` writes it to dist/apps/console; the console's e2e spec
// and `npm run demo` build it when it is missing or older than its sources (@hub/testing ensureConsoleBuilt).
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `vite -c apps/console/vite.config.mts` for development: the API on its default port behind the dev server.
    proxy: { '/tenants': 'http://127.0.0.1:3100' },
  },
});
