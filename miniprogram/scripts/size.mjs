// After `taro build --type weapp`: put the AppID into dist/weapp/project.config.json (ZHIKU_MP_APPID, or
// TARO_APP_ID; otherwise the placeholder "touristappid" stays: WeChat DevTools opens it in test mode),
// then print the main package's size against WeChat's 2 MB limit. `--json` prints it for bench/.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

export const LIMIT = 2 * 1024 * 1024; // WeChat: each package (the main one included) ≤ 2 MB
const root = new URL("../dist/weapp/", import.meta.url).pathname;
const config = join(root, "project.config.json");

const appid = process.env.ZHIKU_MP_APPID || process.env.TARO_APP_ID;
const project = JSON.parse(readFileSync(config, "utf8"));
if (appid) {
  project.appid = appid;
  writeFileSync(config, JSON.stringify(project, null, 2) + "\n");
}
const ignored = (project.packOptions?.ignore ?? []).filter((r) => r.type === "suffix").map((r) => r.value);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

// What DevTools uploads: everything but the project files and what packOptions ignores.
const counted = files(root).filter(
  (f) => !/project(\.private)?\.config\.json$/.test(f) && !ignored.some((suffix) => f.endsWith(suffix)),
);
const bytes = counted.reduce((n, f) => n + statSync(f).size, 0);
const largest = counted
  .map((f) => [relative(root, f), statSync(f).size])
  .sort((a, b) => b[1] - a[1])
  .slice(0, 5);
const ok = bytes <= LIMIT;
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ bytes, limit: LIMIT, files: counted.length, appid: project.appid, ok }));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`小程序主包 / weapp main package: ${kb(bytes)} of ${kb(LIMIT)} (${((100 * bytes) / LIMIT).toFixed(1)}%), ${counted.length} files, appid ${project.appid}`);
  for (const [f, n] of largest) console.log(`  ${kb(n).padStart(10)}  ${f}`);
}
if (!ok) {
  console.error("错误：主包超过微信 2 MB 上限 / the main package exceeds WeChat's 2 MB limit");
  process.exit(1);
}
