// The tab bar's icons, drawn here as SVG (24×24 line icons) and rendered to PNG with resvg before each
// build: no downloaded artwork. WeChat wants PNG tab icons of at most 40 KB, 81×81 px recommended; one
// grey (unselected) and one blue (selected) per tab, written to src/assets/tab/ (not committed).
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";

const SIZE = 81;
const GREY = "#666666"; // = app.config.ts tabBar.color
const BLUE = "#1677ff"; // = tabBar.selectedColor
const MAX_BYTES = 40 * 1024;

export const ICONS = {
  // 问答: a speech bubble with two lines of text
  ask: '<path d="M4 4.5h16a1 1 0 0 1 1 1V16a1 1 0 0 1-1 1H10l-5 4v-4H4a1 1 0 0 1-1-1V5.5a1 1 0 0 1 1-1z"/><path d="M7.5 9h9M7.5 12.5h6"/>',
  // 申请: a form with a pen
  apply: '<path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M8.5 12h7M8.5 16h4"/>',
  // 审批: a tick in a circle
  approvals: '<circle cx="12" cy="12" r="9"/><path d="M7.8 12.3l3 3 5.5-6"/>',
  // 工单: a ticket with its tear line
  tickets: '<path d="M3 7a1 1 0 0 1 1-1h16a1 1 0 0 1 1 1v3a2 2 0 0 0 0 4v3a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-3a2 2 0 0 0 0-4z"/><path d="M15 6.5v2M15 11v2M15 15.5v2"/>',
  // 通知: a bell
  notices: '<path d="M6 17v-6a6 6 0 0 1 12 0v6l1.5 1.5h-15z"/><path d="M10 20.5a2 2 0 0 0 4 0M12 3v2"/>',
};

export function svg(body, color) {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="${color}" ` +
    `stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`
  );
}

const out = new URL("../src/assets/tab/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
for (const [name, body] of Object.entries(ICONS)) {
  for (const [suffix, color] of [["", GREY], ["-on", BLUE]]) {
    const png = new Resvg(svg(body, color), { fitTo: { mode: "width", value: SIZE } }).render().asPng();
    const path = `${out}${name}${suffix}.png`;
    writeFileSync(path, png);
    if (statSync(path).size > MAX_BYTES) throw new Error(`${path}: over WeChat's 40 KB for a tab icon`);
  }
}
