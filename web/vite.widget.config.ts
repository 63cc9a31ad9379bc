// The embeddable chat widget (src/widget.ts) as one classic script, dist/widget.js, for a plain
// `<script src=".../widget.js">` tag on any intranet page (no module loader, no other files).
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: "dist",
    emptyOutDir: false, // the console's build is already there
    lib: { entry: resolve(import.meta.dirname, "src/widget.ts"), formats: ["iife"], name: "ZhikuWidget", fileName: () => "widget.js" },
  },
});
