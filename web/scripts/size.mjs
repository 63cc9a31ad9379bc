// Prints what the first page (index.html) loads before any route's lazy chunk: its scripts,
// module preloads and styles, raw and gzipped. `make web` runs it after the build.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";

const dist = resolve(import.meta.dirname, "../dist");
const html = readFileSync(resolve(dist, "index.html"), "utf8");
const files = [...new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]))];
let raw = 0;
let gz = 0;
for (const f of files) {
  const body = readFileSync(resolve(dist, f));
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`initial route (index.html + ${files.length} files): ${kb(raw)} raw, ${kb(gz)} gzipped (target ≤ 1024 KiB)`);
