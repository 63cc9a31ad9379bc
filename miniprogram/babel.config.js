// babel-preset-taro: React + TypeScript for both targets.
module.exports = {
  presets: [["taro", { framework: "react", ts: true, compiler: "webpack5" }]],
};
