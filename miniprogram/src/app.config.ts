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
  tabBar: {
    color: "#666666",
    selectedColor: "#1677ff",
    backgroundColor: "#ffffff",
    list: [
      { pagePath: "pages/ask/index", text: "问答" },
      { pagePath: "pages/apply/index", text: "申请" },
      { pagePath: "pages/approvals/index", text: "审批" },
      { pagePath: "pages/tickets/index", text: "工单" },
      { pagePath: "pages/notices/index", text: "通知" },
    ],
  },
});
