// Quiet one known, harmless error: jsdom does not render the inside of Taro's <Input>/<Textarea> web
// components, so when a page sets their value (as it does after each keystroke) their value watcher
// finds no inner <input> and Stencil logs a TypeError with the whole component. Anything else is shown.
const shown = console.error;
console.error = (...args) => {
  const [first] = args;
  if (first instanceof TypeError && /watchValue .*taro-(input|textarea)-core\.js/.test(first.stack ?? "")) return;
  shown(...args);
};
