// The one message the sign-in pop-up sends the widget (kept apart so the console does not load the widget).
export const TOKEN_MESSAGE = "zhiku-widget-token";
