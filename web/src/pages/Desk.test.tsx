import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "../testing/stub";
import DeskPage from "./Desk";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

const ticket = {
  id: "T-1", title: "年假怎么请", category: "handoff", status: "open", createdAt: "2026-12-01T19:00:00", updatedAt: "2026-12-01T19:05:00",
  employeeId: "E1030", employeeName: "朱红梅", department: "行政部", assigneeId: null, assigneeName: null, messageCount: 2,
  sla: { state: "waiting", waitedSeconds: 60, targetSeconds: 300, nearSeconds: 240 },
  conversation: [{ speaker: "朱红梅", text: "年假怎么请" }, { speaker: "知库", text: "请在系统中提交年假申请。" }], resolution: "",
};

it("takes a ticket, replies and shows the reply in the conversation", async () => {
  const { sent } = renderPage(
    <DeskPage />,
    {
      DeskQueue: { tickets: [ticket] },
      DeskSuggestion: { ticket: { id: "T-1", suggestion: { text: "年假须提前3天申请。", answered: true, notice: "" } } },
      DeskClaim: { claimTicket: { applied: true, message: "", ticket: { ...ticket, status: "in_progress", assigneeId: "E1015", assigneeName: "何佳" } } },
      DeskReply: (v) => ({
        replyToTicket: {
          applied: true, message: "",
          ticket: { ...ticket, status: "in_progress", assigneeId: "E1015", assigneeName: "何佳", conversation: [...ticket.conversation, { speaker: "何佳", text: String(v.text) }] },
        },
      }),
    },
    { employee: "E1015", roles: ["employee", "agent"] },
  );
  await userEvent.click(await screen.findByRole("button", { name: "年假怎么请" }));
  const card = await screen.findByTestId("ticket");
  expect(within(card).getByText("请在系统中提交年假申请。")).toBeInTheDocument();
  expect(await within(card).findByText("年假须提前3天申请。")).toBeInTheDocument();

  await userEvent.click(within(card).getByRole("button", { name: "接 手" }));
  await waitFor(() => expect(within(screen.getByTestId("ticket")).getByText("处理人：何佳")).toBeInTheDocument());

  await userEvent.click(within(screen.getByTestId("ticket")).getByRole("button", { name: "用作回复" }));
  await userEvent.click(within(screen.getByTestId("ticket")).getByRole("button", { name: "回 复" }));
  await waitFor(() => expect(within(screen.getByTestId("conversation")).getByText("年假须提前3天申请。")).toBeInTheDocument());
  const reply = sent.find((s) => s.name === "DeskReply")!;
  expect(reply.variables).toMatchObject({ id: "T-1", text: "年假须提前3天申请。" });
  expect(String(reply.variables.key)).toMatch(/^[0-9a-f-]{36}$/); // a retry is sent once
});

it("shows each waiting ticket's first-response timer from the server, red when over the target", async () => {
  const late = { ...ticket, id: "T-2", title: "报销多久到账", sla: { state: "breached", waitedSeconds: 3725, targetSeconds: 300, nearSeconds: 240 } };
  const answered = { ...ticket, id: "T-3", title: "班车几点", status: "in_progress", sla: { state: "met", waitedSeconds: 90, targetSeconds: 300, nearSeconds: 240 } };
  renderPage(
    <DeskPage />,
    { DeskQueue: { tickets: [late, ticket, answered] }, DeskSuggestion: { ticket: { id: "T-2", suggestion: null } } },
    { employee: "E1015", roles: ["employee", "agent"] },
  );
  const timers = await within(await screen.findByTestId("queue")).findAllByTestId("sla");
  expect(timers.map((el) => el.dataset.state)).toEqual(["breached", "waiting", "met"]); // the server's order
  expect(timers[0]).toHaveTextContent("1:02:05 / 5:00");
  expect(timers[0]).toHaveAttribute("aria-label", "已超时：已等待 1:02:05（目标 5:00）");
  expect(timers[0].className).toMatch(/error/);
  expect(timers[2]).toHaveTextContent("1:30 内首次响应（达标）");

  await userEvent.click(screen.getByRole("button", { name: "报销多久到账" }));
  const card = await screen.findByTestId("ticket");
  expect(within(card).getByTestId("sla")).toHaveAttribute("data-state", "breached");
});

it("searches the queue on the server by employee, title or text", async () => {
  const other = { ...ticket, id: "T-9", title: "报销发票丢了", employeeName: "李雷" };
  const { sent } = renderPage(
    <DeskPage />,
    {
      DeskQueue: (v) => ({ tickets: v.search ? [ticket, other].filter((tk) => tk.employeeName.includes(String(v.search))) : [ticket, other] }),
      DeskSuggestion: { ticket: { id: "T-1", suggestion: null } },
    },
    { employee: "E1015", roles: ["employee", "agent"] },
  );
  expect(await screen.findByRole("button", { name: "报销发票丢了" })).toBeInTheDocument();
  await userEvent.type(screen.getByLabelText("搜索工单：员工、标题、对话内容"), "朱红梅{Enter}");
  await waitFor(() => expect(screen.queryByRole("button", { name: "报销发票丢了" })).not.toBeInTheDocument());
  expect(screen.getByRole("button", { name: "年假怎么请" })).toBeInTheDocument();
  expect(sent.filter((s) => s.name === "DeskQueue").at(-1)!.variables).toMatchObject({ search: "朱红梅", status: "open", mine: false });
});
