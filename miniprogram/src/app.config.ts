export default defineAppConfig({
  pages: [
    "pages/ask/index",
    "pages/apply/index",
    "pages/approvals/index",
    "pages/tickets/index",
    "pages/notices/index",
    "pages/login/index",
    "pages/doc/index",
    "pages/approval/detail",
  ],
  window: {
    backgroundTextStyle: "light",
    navigationBarBackgroundColor: "#1677ff",
    navigationBarTitleText: "知库",
    navigationBarTextStyle: "white",
  },
  // icons: drawn as SVG and rendered to PNG before each build (scripts/icons.mjs)
  tabBar: {
    color: "#666666",
    selectedColor: "#1677ff",
    backgroundColor: "#ffffff",
    list: [
      { pagePath: "pages/ask/index", iconPath: "assets/tab/ask.png", selectedIconPath: "assets/tab/ask-on.png", text: "问答" },
      { pagePath: "pages/apply/index", iconPath: "assets/tab/apply.png", selectedIconPath: "assets/tab/apply-on.png", text: "申请" },
      { pagePath: "pages/approvals/index", iconPath: "assets/tab/approvals.png", selectedIconPath: "assets/tab/approvals-on.png", text: "审批" },
      { pagePath: "pages/tickets/index", iconPath: "assets/tab/tickets.png", selectedIconPath: "assets/tab/tickets-on.png", text: "工单" },
      { pagePath: "pages/notices/index", iconPath: "assets/tab/notices.png", selectedIconPath: "assets/tab/notices-on.png", text: "通知" },
    ],
  },
});
