// The approval detail page as the approver it waits for, the GraphQL transport (lib/gql) and the live
// status socket (lib/live) stubbed: a rejection needs a comment (the message, nothing sent); with one,
// or to approve, the decision is sent with the comment.
import TestUtils from "@tarojs/test-utils-react";
import { Current } from "@tarojs/runtime";
import { createReactApp } from "@tarojs/plugin-framework-react/dist/runtime";
import React from "react";
import * as ReactDOM from "react-dom";
import ApprovalPage from "../src/pages/approval/detail";
import { saveSession } from "../src/lib/session";
import { answers, sent, sentOf } from "./gql-stub";
import { shownError as error, tap, type } from "./page";

jest.mock("../src/lib/gql", () => require("./gql-stub"));
// Taro's page hooks (useRouter) use the React an app registered: register React (the app's root is not
// rendered — the test renders the page itself); the page reads its id from the router's params, as
// when opened at /pages/approval/detail?id=A1.
createReactApp(() => null, React, { ...ReactDOM, createRoot: () => ({ render: () => undefined }) }, { pages: [] });

jest.mock("../src/lib/live", () => ({ watchApprovals: () => () => undefined }));

answers.MpApproval = (v) => ({
  approvalInstance: {
    id: v.id,
    title: "请假 5 天",
    processName: "请假",
    applicantId: "E1",
    applicantName: "张三",
    amount: null,
    days: 5,
    reason: "家事",
    status: "pending",
    statusText: "审批中",
    summary: "",
    pendingWith: ["E2"],
    version: 3,
    steps: [{ index: 0, name: "经理审批", mode: "会签", status: "pending", approvers: [{ id: "E2", name: "王经理", decision: null }] }],
    audit: [{ kind: "submitted", actorName: "张三", step: "", comment: "", at: "2026-12-01T09:00:00Z" }],
  },
});
answers.MpAct = (v) => ({ actOnApproval: { applied: true, message: "", instance: { id: v.id, status: v.action === "REJECT" ? "rejected" : "approved" } } });

async function open() {
  localStorage.clear();
  sent.length = 0;
  saveSession({ token: "t", employee: "E2", name: "王经理", roles: ["manager"], expiresAt: Date.now() + 3600_000, via: "dev" });
  Current.router = { params: { id: "A1" }, path: "/pages/approval/detail", onReady: "", onHide: "", onShow: "" };
  const utils = new TestUtils();
  await utils.mount(ApprovalPage, {});
  await utils.queries.waitForQuerySelector(".reject");
  return utils;
}

test("the instance waiting for me shows its chain; reject without a comment says so and sends nothing", async () => {
  const utils = await open();
  expect(document.querySelector(".approval-detail")?.textContent).toContain("王经理");
  expect(sentOf("MpApproval")[0].variables).toEqual({ id: "A1" });
  type(".comment", "   ");
  await tap(utils, ".reject");
  expect(error()).toBe("驳回须填写审批意见");
  expect(sentOf("MpAct")).toEqual([]);
  utils.unmout();
});

test("reject with a comment sends it; approve needs none", async () => {
  let utils = await open();
  type(".comment", " 时间冲突 ");
  await tap(utils, ".reject");
  expect(error()).toBe("");
  expect(sentOf("MpAct").map((s) => s.variables)).toEqual([{ id: "A1", action: "REJECT", comment: "时间冲突", key: "mp-A1-3-REJECT" }]);
  utils.unmout();
  utils = await open();
  await tap(utils, ".approve");
  expect(sentOf("MpAct").map((s) => [s.variables.action, s.variables.comment])).toEqual([["APPROVE", ""]]);
  utils.unmout();
});
