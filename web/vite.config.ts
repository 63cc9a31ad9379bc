/// <reference types="vitest/config" />
// Two pages: the console (index.html) and GraphiQL (graphiql.html, served at GET /graphql), plus
// Swagger UI's files for /docs — everything the browser loads comes from Zhiku, nothing from a CDN.
import { copyFileSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const API = process.env.ZHIKU_API ?? "http://127.0.0.1:8000";

function swaggerUi(): Plugin {
  return {
    name: "zhiku-swagger-ui",
    apply: "build",
    closeBundle() {
      const from = resolve(import.meta.dirname, "node_modules/swagger-ui-dist");
      const to = resolve(import.meta.dirname, "dist/vendor/swagger-ui");
      mkdirSync(to, { recursive: true });
      for (const f of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]) {
        copyFileSync(resolve(from, f), resolve(to, f));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), swaggerUi()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { index: resolve(import.meta.dirname, "index.html"), graphiql: resolve(import.meta.dirname, "graphiql.html") },
    },
  },
  server: {
    // `npm run dev`: hot reload on :5173, the API (`zhiku serve`) behind it.
    proxy: {
      "/graphql": { target: API, ws: true },
      "/ws": { target: API, ws: true },
      "/auth": API,
      "/healthz": API,
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
