import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { I18nProvider, catalogue, format, useT } from "./i18n";

it("has every message in both languages", () => {
  expect(Object.keys(catalogue.en).sort()).toEqual(Object.keys(catalogue.zh).sort());
  for (const [key, text] of Object.entries(catalogue.en)) {
    if (key !== "app.lang" && key !== "chat.handoffQuestion") expect(text, key).not.toMatch(/[\u4e00-\u9fff]/u);
  }
});

it("fills parameters", () => {
  expect(format("zh", "hit.withheld", { n: 2 })).toBe("另有 2 条命中来自你无权查看的文档，未显示。");
  expect(format("en", "chat.agent", { name: "何佳" })).toBe("Agent 何佳");
});

function Switcher() {
  const { t, lang, setLang } = useT();
  return <button onClick={() => setLang(lang === "zh" ? "en" : "zh")}>{t("nav.chat")}</button>;
}

it("switches language and remembers it", async () => {
  localStorage.clear();
  render(<I18nProvider><Switcher /></I18nProvider>);
  await userEvent.click(screen.getByRole("button", { name: "智能问答" }));
  expect(screen.getByRole("button", { name: "Ask" })).toBeInTheDocument();
  expect(localStorage.getItem("zhiku.lang")).toBe("en");
  expect(document.documentElement.lang).toBe("en");
});
