// 知库 agent console: the ticket queue, one ticket's conversation with the knowledge base's
// suggestion, reply / claim / close. Plain browser JavaScript over the GraphQL API (same origin).
// Everything user-supplied is written with textContent, never as HTML.
"use strict";

const POLL_MS = 3000;
const TOKEN_KEY = "zhiku.agent.token";
const state = { token: null, me: null, selected: null, ticket: null, timer: null };

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// A cited source: the document and section, linked to the section itself when the URI is a web page.
function citationItem(c) {
  const item = el("li");
  const name = `${c.title}${c.section ? " › " + c.section : ""}`;
  if (/^https?:\/\//.test(c.uri || "")) {
    const link = el("a", name);
    link.href = c.uri;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    item.append(link, `：${c.snippet}`);
  } else {
    item.textContent = `${name}：${c.snippet}`;
  }
  return item;
}

function say(message, ok = false) {
  const status = $("status");
  status.textContent = message || "";
  status.classList.toggle("ok", ok);
}

const STATUS_TEXT = { open: "待处理", in_progress: "处理中", closed: "已关闭" };
const CATEGORY_TEXT = { handoff: "转人工", escalation: "情绪升级", service: "服务请求", application: "申请" };

async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new Error("无法连接知库服务，请检查网络");
  }
  if (response.status === 429) throw new Error("请求太频繁，请稍后再试");
  const body = await response.json().catch(() => ({}));
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const error = new Error(first.message || "请求失败");
    error.code = first.extensions && first.extensions.code;
    throw error;
  }
  if (!response.ok) throw new Error(`请求失败（HTTP ${response.status}）`);
  return body.data;
}

const TICKET_FIELDS = `id title category status createdAt updatedAt employeeId employeeName department
  assigneeId assigneeName messageCount`;

// -- login ---------------------------------------------------------------------------------------

function readToken() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, hash.get("token"));
    history.replaceState(null, "", location.pathname); // keep the token out of the address bar
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function start() {
  state.token = readToken();
  if (!state.token) return showLogin();
  try {
    const { me } = await gql("{ me { id name roles } }");
    if (!me.roles.includes("agent") && !me.roles.includes("admin")) {
      sessionStorage.removeItem(TOKEN_KEY); // let someone else sign in
      showLogin();
      return say(`${me.name}（${me.id}）没有客服角色，不能使用工作台`);
    }
    state.me = me;
    $("me").textContent = `${me.name}（${me.id}）`;
    $("logout").hidden = false;
    $("login").hidden = true;
    $("desk").hidden = false;
    say("");
    await refresh();
    state.timer = setInterval(() => refresh().catch((err) => say(err.message)), POLL_MS);
  } catch (err) {
    if (err.code === "UNAUTHENTICATED" || err.code === "INVALID_TOKEN") {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    }
    say(err.message);
  }
}

function showLogin() {
  $("login").hidden = false;
  $("desk").hidden = true;
}

// -- the queue -----------------------------------------------------------------------------------

async function refresh() {
  const status = $("filter-status").value;
  const mine = $("filter-mine").checked;
  const { tickets } = await gql(
    `query Q($status: String, $mine: Boolean!) { tickets(status: $status, mine: $mine, first: 100) { ${TICKET_FIELDS} } }`,
    { status: status || null, mine },
  );
  renderQueue(tickets);
  if (state.selected) await loadTicket(state.selected, false);
}

function renderQueue(tickets) {
  const list = $("tickets");
  list.replaceChildren();
  $("empty").hidden = tickets.length > 0;
  for (const t of tickets) {
    const item = el("li");
    const button = el("button");
    button.type = "button";
    button.dataset.ticketId = t.id;
    button.setAttribute("aria-current", String(t.id === state.selected));
    button.append(el("span", STATUS_TEXT[t.status] || t.status, `badge ${t.status}`), " ", el("strong", t.title));
    const who = `${t.employeeName}${t.department ? " · " + t.department : ""}`;
    const holder = t.assigneeName ? ` · 处理人 ${t.assigneeName}` : "";
    button.append(el("span", `${CATEGORY_TEXT[t.category] || t.category} · ${who}${holder} · ${t.id}`, "sub"));
    button.addEventListener("click", () => select(t.id));
    item.append(button);
    list.append(item);
  }
}

// -- one ticket ----------------------------------------------------------------------------------

async function select(id) {
  state.selected = id;
  for (const b of document.querySelectorAll("#tickets button")) {
    b.setAttribute("aria-current", String(b.dataset.ticketId === id));
  }
  await loadTicket(id, true).catch((err) => say(err.message));
}

async function loadTicket(id, withSuggestion) {
  const suggestion = withSuggestion
    ? "suggestion { text answered confidence withheld notice citations { title section snippet uri } }"
    : "";
  const { ticket } = await gql(
    `query T($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} conversation { speaker text } found history
      concerns resolution ${suggestion} } }`,
    { id },
  );
  if (!ticket) {
    state.selected = null;
    $("detail").hidden = true;
    return say(`工单 ${id} 不存在`);
  }
  state.ticket = ticket;
  renderTicket(ticket);
  if (withSuggestion) renderSuggestion(ticket.suggestion);
}

function renderTicket(t) {
  $("detail").hidden = false;
  $("detail").dataset.ticketId = t.id;
  $("t-title").textContent = t.title;
  const holder = t.assigneeName ? `处理人：${t.assigneeName}` : "尚未接手";
  const concerns = t.concerns.length ? ` · 涉及：${t.concerns.join("、")}` : "";
  $("t-meta").textContent =
    `${t.id} · ${STATUS_TEXT[t.status] || t.status} · ${t.employeeName}（${t.employeeId}）· ${holder}${concerns}`;
  const closed = t.status === "closed";
  $("claim").disabled = closed || t.assigneeId === (state.me && state.me.id);
  $("send").disabled = closed;
  $("close").disabled = closed;
  const conversation = $("conversation");
  conversation.replaceChildren();
  for (const m of t.conversation) {
    const line = el("li", null, m.speaker.startsWith("客服") ? "agent" : m.speaker === "员工" ? "employee" : "bot");
    line.append(el("span", m.speaker, "speaker"), el("span", m.text));
    conversation.append(line);
  }
  if (closed && t.resolution) conversation.append(el("li", `处理结果：${t.resolution}`, "resolution"));
  const found = $("found");
  found.replaceChildren(...t.found.map((f) => el("li", f)));
  if (!t.found.length) found.append(el("li", "（无）", "muted"));
  $("history").replaceChildren(...t.history.map((h) => el("li", h)));
}

function renderSuggestion(s) {
  $("s-text").textContent = s.answered ? s.text : `（知识库没有可靠答案）${s.text}`;
  $("s-sources").replaceChildren(
    ...s.citations.map(citationItem),
  );
  $("use-suggestion").disabled = !s.answered;
  // the employee may read sources this agent may not: say that more exists, never what
  $("s-notice").textContent = s.withheld ? `（${s.notice}）` : "";
  $("s-notice").hidden = !s.withheld;
}

// -- actions -------------------------------------------------------------------------------------

async function act(query, variables, done) {
  try {
    const data = await gql(query, variables);
    const result = Object.values(data)[0];
    say(result.message, result.applied);
    done && done(result);
    await refresh();
  } catch (err) {
    say(err.message);
  }
}

const RESULT = `applied message ticket { id status }`;

function bind() {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    clearInterval(state.timer);
    location.reload();
  });
  $("filter-status").addEventListener("change", () => refresh().catch((err) => say(err.message)));
  $("filter-mine").addEventListener("change", () => refresh().catch((err) => say(err.message)));
  $("claim").addEventListener("click", () =>
    act(`mutation C($id: ID!) { claimTicket(id: $id) { ${RESULT} } }`, { id: state.selected }),
  );
  $("use-suggestion").addEventListener("click", () => {
    $("reply").value = $("s-text").textContent;
    $("reply").focus();
  });
  $("reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return say("请输入回复内容");
    const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    act(
      `mutation R($id: ID!, $text: String!, $key: String) { replyToTicket(id: $id, text: $text, idempotencyKey: $key) { ${RESULT} } }`,
      { id: state.selected, text, key },
      (result) => result.applied && ($("reply").value = ""),
    );
  });
  $("close-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(`mutation X($id: ID!, $resolution: String!) { closeTicket(id: $id, resolution: $resolution) { ${RESULT} } }`, {
      id: state.selected,
      resolution: $("resolution").value.trim(),
    });
  });
}

bind();
window.addEventListener("hashchange", () => {
  clearInterval(state.timer);
  start();
});
start();
