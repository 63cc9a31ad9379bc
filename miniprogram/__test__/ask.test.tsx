// The ask page's message bubble, rendered by Taro's H5 runtime: sources, follow-up chips and 👍/👎
// reach the page; a reply still arriving in pieces offers no 👍/👎 yet.
import TestUtils from "@tarojs/test-utils-react";
import { Message, type Line } from "../src/pages/ask/index";

const reply: Line = {
  id: "1",
  who: "bot",
  text: "员工每年享有带薪年假。",
  question: "年假怎么请",
  answerable: true,
  citations: [{ title: "考勤制度", section: "第三条", snippet: "", uri: "", documentId: "D1" }],
  followUps: ["病假呢"],
};

async function mount(line: Line, asked: string[] = [], rated: boolean[] = []) {
  const utils = new TestUtils();
  const Bubble = () => <Message line={line} onFollowUp={(q) => asked.push(q)} onFeedback={(_, h) => rated.push(h)} />;
  await utils.mount(Bubble, {});
  await utils.queries.waitForQuerySelector(".bubble-bot");
  return utils;
}

const chip = (text: string) => [...document.querySelectorAll(".chip")].find((c) => c.textContent?.includes(text));

test("a reply shows its sources; a follow-up chip asks it, 👍 rates the reply", async () => {
  const asked: string[] = [];
  const rated: boolean[] = [];
  const utils = await mount(reply, asked, rated);
  const citation = document.querySelector("[data-testid='citation']");
  expect(citation?.textContent).toContain("[1] 考勤制度 · 第三条");
  utils.fireEvent.click(chip("病假呢")!);
  expect(asked).toEqual(["病假呢"]);
  utils.fireEvent.click(chip("👍")!);
  utils.fireEvent.click(chip("👎")!);
  expect(rated).toEqual([true, false]);
  utils.unmout();
});

test("a reply still arriving in pieces offers no rating; a rated one says thanks", async () => {
  let utils = await mount({ ...reply, citations: [], followUps: [], partial: true });
  expect(document.querySelector(".bubble-bot")?.getAttribute("data-partial")).toBe("1");
  expect(chip("👍")).toBeUndefined();
  utils.unmout();
  utils = await mount({ ...reply, feedback: true });
  expect(chip("👍")).toBeUndefined();
  expect(document.querySelector(".bubble-bot")?.textContent).toContain("感谢反馈");
  utils.unmout();
});
