import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import GapsPage from "./Gaps";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const gap = {
  key: "gap-1", question: "公司的猫叫什么名字", variants: ["公司的猫叫啥"], asked: 3, downVoted: 1,
  nearest: [{ documentId: "doc-welfare", chunkId: "chunk-7", title: "员工福利制度", section: "3. 节日福利" }],
};
const link = {
  key: "gap-1", question: "公司的猫叫什么名字", documentId: "doc-welfare", title: "员工福利制度", section: "3. 节日福利",
  by: "E1003", at: "2026-12-02T01:00:00+00:00",
};
const answers = (gaps: unknown[], resolved: unknown[] = []) => ({
  knowledgeGaps: gaps, resolvedKnowledgeGaps: resolved, nluIntents: ["查询政策", "福利"],
  entities: { edges: [{ node: { id: "D-GMO", name: "总经办" } }] },
});

it("lists a group with its counts, wordings and nearest topics, and answers it with a FAQ entry", async () => {
  let resolved = false;
  const { sent } = renderPage(
    <GapsPage />,
    {
      KnowledgeGaps: () => answers(resolved ? [] : [gap]),
      ResolveKnowledgeGap: () => {
        resolved = true;
        return { resolveKnowledgeGap: { key: "gap-1", documentId: "doc-faq-1", outcome: "new", chunks: 1, labelled: 2 } };
      },
    },
    { employee: "E1003", roles: ["employee", "knowledge_engineer"] },
  );
  const card = await screen.findByTestId("gap");
  expect(within(card).getByText("公司的猫叫什么名字")).toBeInTheDocument();
  expect(within(card).getByText("未答 3 次")).toBeInTheDocument();
  expect(within(card).getByText("点踩 1 次")).toBeInTheDocument();
  expect(within(card).getByText("公司的猫叫啥")).toBeInTheDocument();
  expect(within(card).getByRole("link", { name: "员工福利制度 · 3. 节日福利" })).toHaveAttribute("href", "/doc/doc-welfare");

  await userEvent.click(within(card).getByRole("button", { name: "写 FAQ 回答" }));
  const form = await screen.findByTestId("faq-form");
  await userEvent.click(within(form).getByRole("button", { name: "保存并入库" }));
  expect(await within(form).findByText("请填写答案")).toBeInTheDocument(); // nothing sent without an answer
  expect(sent.some((s) => s.name === "ResolveKnowledgeGap")).toBe(false);

  await userEvent.type(within(form).getByLabelText("答案"), "公司的猫叫橘子。");
  await userEvent.click(within(form).getByRole("button", { name: "保存并入库" }));
  expect(await screen.findByTestId("resolved")).toHaveTextContent("已为“公司的猫叫什么名字”写入 FAQ 并建立索引。");
  const call = sent.find((s) => s.name === "ResolveKnowledgeGap")!;
  expect(call.variables).toMatchObject({
    key: "gap-1", question: "公司的猫叫什么名字", answer: "公司的猫叫橘子。", variants: ["公司的猫叫啥"], departments: [], level: 0, days: 30,
  });
  await waitFor(() => expect(screen.queryByTestId("gap")).not.toBeInTheDocument()); // the group is resolved
  expect(screen.getByText("没有未解决的知识缺口")).toBeInTheDocument();
});

it("links a group to an existing answer, or only labels its intent", async () => {
  let linked = false;
  const { sent } = renderPage(
    <GapsPage />,
    {
      KnowledgeGaps: () => (linked ? answers([], [link]) : answers([gap])),
      LabelKnowledgeGap: () => ({ labelKnowledgeGap: { key: "gap-1", intent: "福利", labelled: 2 } }),
      LinkKnowledgeGap: () => {
        linked = true;
        return { linkKnowledgeGap: { key: "gap-1", documentId: "doc-welfare", title: "员工福利制度", section: "3. 节日福利" } };
      },
      UnlinkKnowledgeGap: () => {
        linked = false;
        return { unlinkKnowledgeGap: { key: "gap-1", question: "公司的猫叫什么名字" } };
      },
    },
    { employee: "E1003", roles: ["employee", "knowledge_engineer"] },
  );
  const card = await screen.findByTestId("gap");
  const labelButton = within(card).getByRole("button", { name: "只标注意图" });
  expect(labelButton).toBeDisabled(); // no intent chosen yet
  await userEvent.click(within(card).getByLabelText("确认意图（用于重训 NLU）：公司的猫叫什么名字"));
  await userEvent.click(await screen.findByTitle("福利"));
  await userEvent.click(labelButton);
  expect(await screen.findByTestId("resolved")).toHaveTextContent("已为“公司的猫叫什么名字”的 2 种问法保存意图“福利”");
  expect(sent.find((s) => s.name === "LabelKnowledgeGap")!.variables).toMatchObject({ key: "gap-1", intent: "福利", days: 30 });
  expect(screen.getByTestId("gap")).toBeInTheDocument(); // labelling alone leaves the group listed

  await userEvent.click(within(card).getByRole("button", { name: "用此回答：员工福利制度" }));
  expect(await screen.findByText("“公司的猫叫什么名字”已链接到《员工福利制度》。")).toBeInTheDocument();
  expect(sent.find((s) => s.name === "LinkKnowledgeGap")!.variables).toMatchObject({
    key: "gap-1", documentId: "doc-welfare", chunkId: "chunk-7", section: "3. 节日福利", days: 30,
  });
  await waitFor(() => expect(screen.queryByTestId("gap")).not.toBeInTheDocument());

  // the linked group is listed as resolved, with its answer; unlinking lists it as open again
  const row = await screen.findByTestId("resolved-gap");
  expect(within(row).getByRole("link", { name: "由《员工福利制度》回答 · 3. 节日福利" })).toHaveAttribute("href", "/doc/doc-welfare");
  await userEvent.click(within(row).getByRole("button", { name: "取消链接：公司的猫叫什么名字" }));
  expect(await screen.findByText("“公司的猫叫什么名字”已取消链接。")).toBeInTheDocument();
  expect(sent.find((s) => s.name === "UnlinkKnowledgeGap")!.variables).toEqual({ key: "gap-1" });
  expect(await screen.findByTestId("gap")).toBeInTheDocument();
  expect(screen.queryByTestId("resolved-gaps")).not.toBeInTheDocument();
});
