// The apply page, rendered by Taro's H5 runtime with the GraphQL transport (lib/gql) stubbed: the form
// is generated from the process definition, a tap on a process shows its fields, and a form that is
// not valid shows the message and sends nothing.
import TestUtils from "@tarojs/test-utils-react";
import ApplyPage from "../src/pages/apply/index";
import { answers, sent, sentOf } from "./gql-stub";
import { shownError as error, tap, type } from "./page";

// The module boundary the page talks to the API through.
jest.mock("../src/lib/gql", () => require("./gql-stub"));

const step = (id: string, condition: string) => ({ id, name: id, order: 1, mode: "会签", condition, approverRoles: ["manager"] });
answers.MpProcesses = () => ({
  approvalProcesses: [
    { id: "expense", name: "报销", description: "费用报销", steps: [step("finance", "金额 > 5000")] },
    { id: "leave", name: "请假", description: "", steps: [step("hr", "天数 > 3")] },
  ],
});
answers.MpWhoApproves = (v) => ({
  whoApproves: { processId: v.process, steps: [{ name: "经理审批", order: 1, mode: "会签", condition: "", approvers: [{ id: "E2", name: "王经理" }], unresolvedRoles: [] }], skipped: [] },
});
answers.MpSubmit = () => ({ submitApproval: { applied: true, message: "", instance: { id: "A1", title: "请假 2 天", status: "pending" } } });
const submits = () => sentOf("MpSubmit");

async function open(process: string) {
  localStorage.clear();
  sent.length = 0;
  const utils = new TestUtils();
  await utils.mount(ApplyPage, {});
  const chip = await utils.queries.waitForQuerySelector(`.process[data-id='${process}']`);
  utils.fireEvent.click(chip);
  await utils.queries.waitForQuerySelector(".submit");
  return utils;
}

const fill = (name: string, value: string) => type(`.field-${name}`, value);
const submit = (utils: TestUtils) => tap(utils, ".submit");

test("a process's form has the fields its conditions read: 金额 → amount, 天 → days, always a reason", async () => {
  let utils = await open("expense");
  expect(document.querySelector(".field-amount")).not.toBeNull();
  expect(document.querySelector(".field-days")).toBeNull();
  expect(document.querySelector(".field-reason")).not.toBeNull();
  expect(document.querySelector(".card")?.textContent).toContain("费用报销");
  utils.unmout();
  utils = await open("leave");
  expect(document.querySelector(".field-days")).not.toBeNull();
  expect(document.querySelector(".field-amount")).toBeNull();
  // The chain for me and these values, previewed before submitting.
  const chain = await utils.queries.waitForQuerySelector(".chain");
  expect(chain.textContent).toContain("1. 经理审批");
  expect(chain.textContent).toContain("王经理");
  expect(chain.textContent).toContain("会签：每一位都要同意");
  expect(sentOf("MpWhoApproves").at(-1)?.variables).toEqual({ process: "leave", amount: null, days: null });
  utils.unmout();
});

test("a required field left empty: the page says which and sends nothing", async () => {
  const utils = await open("leave");
  fill("days", "2");
  await submit(utils);
  expect(error()).toBe("请填写事由");
  expect(submits()).toEqual([]);
  utils.unmout();
});

test("a number out of range (0, negative, not a number): the message, nothing sent", async () => {
  const utils = await open("expense");
  fill("reason", "出差");
  for (const bad of ["0", "-5", "abc"]) {
    fill("amount", bad);
    await submit(utils);
    expect(error()).toBe("金额（元）须大于 0");
  }
  expect(submits()).toEqual([]);
  utils.unmout();
});

test("typing clears the message; a valid form is sent once with its values", async () => {
  const utils = await open("leave");
  await submit(utils);
  expect(error()).toBe("请填写天数");
  fill("days", "2");
  expect(error()).toBe("");
  fill("reason", " 家事 ");
  await submit(utils);
  await utils.queries.waitForQuerySelector(".submitted");
  expect(submits()).toHaveLength(1);
  expect(submits()[0].variables).toMatchObject({ process: "leave", days: 2, amount: null, reason: "家事" });
  expect(document.querySelector(".submitted")?.textContent).toContain("已提交：请假 2 天");
  utils.unmout();
});
