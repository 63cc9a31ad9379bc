import { screen } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { renderPage } from "../testing/stub";
import AttachmentPage, { filenameOf } from "./Attachment";

vi.setConfig({ testTimeout: 30_000 }); // antd pages render slowly in jsdom on a shared machine

function open(respond: () => Response) {
  const calls: { url: string; auth: string | null }[] = [];
  vi.stubGlobal("fetch", (url: string, init?: RequestInit) => {
    calls.push({ url, auth: new Headers(init?.headers).get("authorization") });
    return Promise.resolve(respond());
  });
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:zhiku/1", revokeObjectURL: () => undefined }));
  renderPage(
    <Routes><Route path="/attachment/:id" element={<AttachmentPage />} /></Routes>,
    {},
    { path: "/attachment/ATT-1" },
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

it("fetches the file with the signed-in person's token and offers it under its own name", async () => {
  const calls = open(() => new Response(new Blob(["%PDF-1.7"]), {
    status: 200,
    headers: { "Content-Disposition": "attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf" },
  }));
  const link = await screen.findByTestId("attachment-download");
  expect(screen.getByText("发票.pdf")).toBeInTheDocument();
  expect(link.getAttribute("href")).toBe("blob:zhiku/1");
  expect(link.getAttribute("download")).toBe("发票.pdf");
  expect(calls).toEqual([{ url: "/api/attachments/ATT-1", auth: "Bearer t" }]);
});

it("shows the server's reason when the person may not read it", async () => {
  open(() => new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: "没有这个附件：ATT-1", message_en: "no attachment" } }), { status: 404 }));
  expect(await screen.findByText("没有这个附件：ATT-1")).toBeInTheDocument();
  expect(screen.getByText("无法打开附件")).toBeInTheDocument();
  expect(screen.queryByTestId("attachment-download")).toBeNull();
});

it("reads RFC 6266 file names and falls back on anything else", () => {
  expect(filenameOf("attachment; filename*=UTF-8''a%20b.pdf", "x")).toBe("a b.pdf");
  expect(filenameOf(null, "ATT-1")).toBe("ATT-1");
  expect(filenameOf("attachment; filename*=UTF-8''%E0%A4", "ATT-1")).toBe("ATT-1");
});
