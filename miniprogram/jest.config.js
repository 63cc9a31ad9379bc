// Component tests (`npm run test:components`): the app's React components rendered by Taro's H5
// runtime in jsdom with @tarojs/test-utils-react (made for Taro 3.6; two adjustments for Taro 4 below).
const defineJestConfig = require("@tarojs/test-utils-react/dist/jest.js").default;

module.exports = defineJestConfig({
  testMatch: ["<rootDir>/__test__/**/*.test.tsx"],
  globals: { API_BASE: "" },
  setupFilesAfterEnv: ["<rootDir>/__test__/setup.js"],
  // Taro 4's router imports its tab bar (→ components → @tarojs/taro → router.history) before its
  // history module: under CommonJS that cycle reads history too early. Tests render no tab bar.
  moduleNameMapper: { "^\\./tabbar\\.js$": "<rootDir>/__test__/tabbar-stub.js" },
  // Taro 4's components import swiper's .mjs files: transform those too.
  transform: { "^.+\\.(mjs|js|jsx|ts|tsx)$": require.resolve("@tarojs/test-utils-react/dist/jest/babel-transformer.js") },
  // The pages import web/src/lib (chatSocket.ts, chatThread.ts): resolve what those import (Babel's
  // runtime helpers…) from here too, so the tests need no web/node_modules (a clean CI clone has none).
  moduleDirectories: ["node_modules", "<rootDir>/node_modules"],
  moduleFileExtensions: ["ts", "tsx", "js", "mjs", "json", "jsx"],
});
