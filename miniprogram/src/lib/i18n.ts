// The app's user-facing text: one catalogue, Chinese first, English beside it. Pages call t("key");
// the language follows the system (Taro.getSystemInfoSync().language) and can be switched in 我的.
import Taro from "@tarojs/taro";

const zh = {
  "app.title": "知库",
  "tab.ask": "问答",
  "tab.apply": "申请",
  "tab.approvals": "审批",
  "tab.tickets": "工单",
  "tab.notices": "通知",
  "login.title": "登录知库",
  "login.wechat": "微信一键登录",
  "login.dev": "开发登录：选择员工",
  "login.expired": "登录已过期，请重新登录（未发送的内容已保留）",
  "login.failed": "登录失败：{reason}",
  "login.signOut": "退出登录",
  "net.retrying": "网络不稳定，正在重试（第 {n} 次）…",
  "net.failed": "网络连接失败，请检查网络后重试；已填写的内容已保存",
  "net.offline": "当前无网络连接，内容已保存为草稿",
  "ask.placeholder": "输入问题，例如：年假有几天？",
  "ask.send": "发送",
  "ask.thinking": "正在查找答案…",
  "ask.sources": "来源",
  "ask.followUps": "你可能还想问",
  "ask.helpful": "👍 有帮助",
  "ask.unhelpful": "👎 没帮助",
  "ask.thanks": "感谢反馈",
  "ask.handoff": "转人工",
  "ask.agent": "客服 {name}",
  "ask.reconnecting": "连接中断，正在重新连接…",
  "doc.cited": "引用的段落",
  "doc.loading": "正在打开文档…",
  "doc.missing": "文档不存在或你无权查看",
  "apply.choose": "选择申请类型",
  "apply.amount": "金额（元）",
  "apply.days": "天数",
  "apply.reason": "事由",
  "apply.chain": "审批流程（提交前预览）",
  "apply.skipped": "不适用的步骤",
  "apply.submit": "提交申请",
  "apply.submitted": "已提交：{title}",
  "apply.required": "请填写{field}",
  "apply.positive": "{field}须大于 0",
  "apply.changed": "该流程的定义刚刚更新，表单已重新加载，请核对后再提交",
  "apply.unresolved": "有审批角色无人担任：{roles}（请联系管理员）",
  "mode.seq": "依次审批",
  "mode.all": "会签：每一位都要同意",
  "mode.any": "或签：任意一位同意即可",
  "approvals.todo": "待我审批",
  "approvals.mine": "我提交的",
  "approvals.empty": "暂无审批",
  "approvals.approve": "同意",
  "approvals.reject": "驳回",
  "approvals.comment": "审批意见",
  "approvals.rejectNeedsComment": "驳回须填写审批意见",
  "approvals.done": "已处理：{status}",
  "approvals.history": "审批记录",
  "approvals.steps": "审批链",
  "approvals.live": "状态已更新：{status}",
  "tickets.title": "我的工单",
  "tickets.empty": "暂无工单",
  "notices.title": "通知",
  "notices.empty": "暂无通知",
  "notices.subscribe": "开启审批消息提醒",
  "notices.subscribed": "已开启：审批结果与待办会通过微信提醒你",
  "notices.refused": "你未允许消息提醒；审批结果仍可在本页查看",
  "status.pending": "审批中",
  "status.approved": "已通过",
  "status.rejected": "已驳回",
  "status.withdrawn": "已撤回",
  "status.open": "待处理",
  "status.in_progress": "处理中",
  "status.closed": "已关闭",
  "lang.switch": "English",
  "audit.submit": "提交",
  "audit.approve": "同意",
  "audit.reject": "驳回",
  "audit.withdraw": "撤回",
  "audit.transfer": "转交",
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  "app.title": "Zhiku",
  "tab.ask": "Ask",
  "tab.apply": "Apply",
  "tab.approvals": "Approvals",
  "tab.tickets": "Tickets",
  "tab.notices": "Notices",
  "login.title": "Sign in to Zhiku",
  "login.wechat": "Sign in with WeChat",
  "login.dev": "Development sign-in: choose an employee",
  "login.expired": "Your sign-in expired; please sign in again (your draft is kept)",
  "login.failed": "Sign-in failed: {reason}",
  "login.signOut": "Sign out",
  "net.retrying": "Weak network, retrying (attempt {n})…",
  "net.failed": "Network unavailable; check it and try again. What you typed is saved",
  "net.offline": "You are offline; saved as a draft",
  "ask.placeholder": "Ask a question, e.g. how many days of annual leave?",
  "ask.send": "Send",
  "ask.thinking": "Looking for an answer…",
  "ask.sources": "Sources",
  "ask.followUps": "You may also ask",
  "ask.helpful": "👍 Helpful",
  "ask.unhelpful": "👎 Not helpful",
  "ask.thanks": "Thanks for the feedback",
  "ask.handoff": "Talk to a person",
  "ask.agent": "Agent {name}",
  "ask.reconnecting": "Connection lost, reconnecting…",
  "doc.cited": "Cited section",
  "doc.loading": "Opening the document…",
  "doc.missing": "The document does not exist or you may not see it",
  "apply.choose": "Choose an application",
  "apply.amount": "Amount (CNY)",
  "apply.days": "Days",
  "apply.reason": "Reason",
  "apply.chain": "Approval chain (preview)",
  "apply.skipped": "Steps that do not apply",
  "apply.submit": "Submit",
  "apply.submitted": "Submitted: {title}",
  "apply.required": "Please fill in {field}",
  "apply.positive": "{field} must be greater than 0",
  "apply.changed": "This process was just updated; the form was reloaded, please check it before submitting",
  "apply.unresolved": "No one holds these approver roles: {roles} (ask an administrator)",
  "mode.seq": "In sequence",
  "mode.all": "All must approve (会签)",
  "mode.any": "Any one approves (或签)",
  "approvals.todo": "Waiting for me",
  "approvals.mine": "Submitted by me",
  "approvals.empty": "No approvals",
  "approvals.approve": "Approve",
  "approvals.reject": "Reject",
  "approvals.comment": "Comment",
  "approvals.rejectNeedsComment": "A rejection needs a comment",
  "approvals.done": "Done: {status}",
  "approvals.history": "History",
  "approvals.steps": "Approval chain",
  "approvals.live": "Status changed: {status}",
  "tickets.title": "My tickets",
  "tickets.empty": "No tickets",
  "notices.title": "Notices",
  "notices.empty": "No notices",
  "notices.subscribe": "Turn on approval reminders",
  "notices.subscribed": "On: WeChat will remind you of decisions and approvals waiting for you",
  "notices.refused": "Reminders not allowed; decisions still show on this page",
  "status.pending": "Pending",
  "status.approved": "Approved",
  "status.rejected": "Rejected",
  "status.withdrawn": "Withdrawn",
  "status.open": "Open",
  "status.in_progress": "In progress",
  "status.closed": "Closed",
  "lang.switch": "中文",
  "audit.submit": "submitted",
  "audit.approve": "approved",
  "audit.reject": "rejected",
  "audit.withdraw": "withdrew",
  "audit.transfer": "transferred",
};

export const catalogues = { zh, en } as const;
export type Lang = keyof typeof catalogues;
export type MessageKey = Key;

let lang: Lang = "zh";

export function initLang(): void {
  try {
    const stored = Taro.getStorageSync("zhiku.lang") as string;
    if (stored === "zh" || stored === "en") {
      lang = stored;
      return;
    }
    lang = String(Taro.getSystemInfoSync().language ?? "zh").startsWith("en") ? "en" : "zh";
  } catch {
    lang = "zh";
  }
}

export function setLang(next: Lang): void {
  lang = next;
  Taro.setStorageSync("zhiku.lang", next);
}

export function currentLang(): Lang {
  return lang;
}

export function t(key: Key, params: Record<string, string | number> = {}, which: Lang = lang): string {
  const text = catalogues[which][key] ?? zh[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ""));
}

/** An approval step's mode, said plainly (依次 / 会签 / 或签). */
export function modeText(mode: string): string {
  if (mode.includes("会签")) return t("mode.all");
  if (mode.includes("或签")) return t("mode.any");
  return t("mode.seq");
}

/** An audit entry's action (submit / approve / reject…), in the user's language. */
export function auditText(kind: string): string {
  const key = `audit.${kind}` as Key;
  return key in zh ? t(key) : kind;
}

export function statusText(status: string): string {
  const key = `status.${status}` as Key;
  return key in zh ? t(key) : status;
}
