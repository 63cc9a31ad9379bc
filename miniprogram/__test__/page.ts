// Driving a rendered page in component tests: typing into Taro's fields, tapping, the message shown.
import type TestUtils from "@tarojs/test-utils-react";

/** Let the page's pending promises (a stubbed request, then its state update) settle. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** What Taro's <Input>/<Textarea> (taro-input-core, taro-textarea-core) emit as the user types: an
 * `input` CustomEvent whose detail carries the value (jsdom renders no inner <input> to type into). */
export function type(selector: string, value: string): void {
  document.querySelector(selector)!.dispatchEvent(new CustomEvent("input", { detail: { value }, bubbles: true }));
}

/** Tap, then let what the tap started (validation, a request, its answer) settle. */
export async function tap(utils: TestUtils, selector: string): Promise<void> {
  utils.fireEvent.click(document.querySelector(selector)!);
  await settle();
  await settle();
}

/** The error message the page shows ("" when none). */
export const shownError = () => document.querySelector(".error")?.textContent ?? "";
