import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { I18nProvider } from "../lib/i18n";
import { Message, citationHref, type Line } from "./Chat";

const answer: Line = {
  id: "1",
  who: "bot",
  text: "年假最小单位为半天。",
  question: "年假怎么请",
  answerable: true,
  citations: [
    { title: "云杉科技年假管理办法", section: "第三章 申请与审批", snippet: "", uri: "file:///x.md#s3", documentId: "doc-1", chunkId: "doc-1#7" },
    { title: "外部网页", section: "", snippet: "", uri: "https://example.invalid/" },
  ],
  followUps: ["新员工第一年有年假吗?"],
};

function renderMessage(line: Line) {
  const onFollowUp = vi.fn();
  const onFeedback = vi.fn();
  render(
    <MemoryRouter>
      <I18nProvider initial="zh">
        <Message line={line} onFollowUp={onFollowUp} onFeedback={onFeedback} />
      </I18nProvider>
    </MemoryRouter>,
  );
  return { onFollowUp, onFeedback };
}

it("links a citation to its section inside the console", () => {
  renderMessage(answer);
  const link = screen.getByRole("link", { name: /云杉科技年假管理办法 · 第三章 申请与审批/ });
  expect(link).toHaveAttribute("href", "/doc/doc-1?chunk=doc-1%237");
  expect(screen.getByText(/外部网页/)).not.toHaveAttribute("href"); // no document id: shown, not linked
  expect(citationHref({ title: "", section: "", snippet: "", uri: "" })).toBeNull();
});

it("asks a follow-up and records feedback when tapped", async () => {
  const { onFollowUp, onFeedback } = renderMessage(answer);
  await userEvent.click(screen.getByText("新员工第一年有年假吗?"));
  expect(onFollowUp).toHaveBeenCalledWith("新员工第一年有年假吗?");
  await userEvent.click(screen.getByRole("button", { name: "没帮助" }));
  expect(onFeedback).toHaveBeenCalledWith(answer, false);
});

it("shows thanks instead of the buttons once feedback was given, and names the agent", () => {
  renderMessage({ ...answer, feedback: true });
  expect(screen.queryByRole("button", { name: "有帮助" })).toBeNull();
  expect(screen.getByText(/感谢反馈/)).toBeInTheDocument();
});

it("labels the human agent's messages", () => {
  renderMessage({ id: "2", who: "agent", text: "您好，我来处理。", agent: "何佳" });
  expect(screen.getByText(/客服 何佳/)).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "有帮助" })).toBeNull();
});
