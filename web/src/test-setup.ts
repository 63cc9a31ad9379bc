import "@testing-library/jest-dom/vitest";

// jsdom lacks these; antd's responsive helpers call them.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false }) as MediaQueryList;
}
globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
// jsdom does not implement getComputedStyle for pseudo-elements (antd's table measures the scrollbar
// with one); answer with the element's own style instead of logging "Not implemented".
const computed = window.getComputedStyle.bind(window);
window.getComputedStyle = (elt: Element) => computed(elt);
