"""The browser these tests drive: tests/browser.py's (Debian's headless chromium through Playwright)."""

from tests.browser import browser, playwright

__all__ = ["browser", "playwright"]
