// Taro build configuration: one source tree (src/) built for the WeChat mini-program (weapp) and for
// H5 (the employee's web page, served by `zhiku serve` at /m/). See README.md § 小程序.
import { resolve } from "node:path";
import { defineConfig, type UserConfigExport } from "@tarojs/cli";

// The web console's chat client (/ws/chat protocol) is shared, not copied: compile it from web/.
const shared = [resolve(__dirname, "../../web/src/lib")];

export default defineConfig<"webpack5">(async (merge) => {
  const base: UserConfigExport<"webpack5"> = {
    projectName: "zhiku-miniprogram",
    date: "2026-12-1",
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: "src",
    outputRoot: `dist/${process.env.TARO_ENV}`,
    plugins: [],
    // The API origin the phone talks to (https, listed in the mini-program's request/socket domains);
    // empty in H5, which is served by the API itself.
    defineConstants: { API_BASE: JSON.stringify(process.env.TARO_ENV === "h5" ? "" : (process.env.ZHIKU_MP_API_BASE ?? "https://zhiku.example.com")) },
    copy: { patterns: [], options: {} },
    framework: "react",
    compiler: "webpack5",
    cache: { enable: false },
    mini: {
      compile: { include: shared },
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: "module", generateScopedName: "[name]__[local]___[hash:base64:5]" } },
      },
      // No source maps in the package: they count towards the 2 MB main-package limit.
      enableSourceMap: false,
    },
    h5: {
      compile: { include: shared },
      // Served by `zhiku serve` under /m/ (api/miniprogram_web.py); hash routes need no server fallback.
      publicPath: "/m/",
      staticDirectory: "static",
      router: { mode: "hash" },
      output: { filename: "js/[name].[contenthash:8].js", chunkFilename: "js/[name].[chunkhash:8].js" },
      miniCssExtractPluginOption: { ignoreOrder: true, filename: "css/[name].[contenthash:8].css", chunkFilename: "css/[name].[chunkhash:8].css" },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: "module", generateScopedName: "[name]__[local]___[hash:base64:5]" } },
      },
      devServer: {
        port: 10086,
        // `npm run dev:h5` against a running `zhiku serve` on :8000.
        proxy: [
          { context: ["/graphql", "/auth", "/ws"], target: process.env.ZHIKU_API ?? "http://127.0.0.1:8000", ws: true },
        ],
      },
    },
  };
  return merge({}, base, process.env.NODE_ENV === "development" ? {} : {});
});
