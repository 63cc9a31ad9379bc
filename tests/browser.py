"""What the browser tests (tests/web, tests/miniprogram; marker ``web``) share: Debian's headless
chromium driven by Playwright (no browser download from Playwright's CDN, which is not reachable
here), the real app started on loopback over a built bundle, and one browser context per user that
signs in — :class:`Page` on the web console, :class:`Phone` on the mini-program's H5 build. A context
records page errors (and, on the console, CSP violations); :meth:`Context.close` fails the test on any.

The ``playwright`` and ``browser`` fixtures are re-exported by tests/web/conftest.py and
tests/miniprogram/conftest.py."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from zhiku.loopback import running
from zhiku.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
WEB_DIST = ROOT / "web" / "dist"
WEB_SHOTS = ROOT / "web" / "test-results"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
H5_DIST = ROOT / "miniprogram" / "dist" / "h5"
H5_SHOTS = ROOT / "miniprogram" / "test-results"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make web-test` installs it (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright: Any, accept_language: str) -> Any:
    """Chromium whose requests ask for ``accept_language``. Set on the browser, not the context:
    a context's ``locale`` (and its ``extra_http_headers``) reach page and fetch requests but not a
    WebSocket handshake, which goes out with chromium's own (en-US) — and /ws/chat picks the reply
    language from it, as it does from a real browser's."""
    return playwright.chromium.launch(
        executable_path=chromium(), headless=True, args=[f"--accept-lang={accept_language}"]
    )


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """Chromium as a Chinese-speaking employee's (zh-CN): the tests expect Chinese replies."""
    b = launch(playwright, "zh-CN,zh")
    yield b
    b.close()


def require_built(path: Path, target: str) -> None:
    """Fail (not skip) when the bundle the test drives has not been built."""
    if not path.is_file():
        pytest.fail(f"{path.parent.relative_to(ROOT)} is not built: run `make {target}` (it builds it first)")


@contextmanager
def serving(
    settings: Settings, store: Any, search: Any, *, shots: Path = WEB_SHOTS, start_timeout_s: float = 30.0
) -> Iterator[str]:
    """The app (``create_app``) on loopback; yields its base URL. Screenshots go to ``shots``."""
    shots.mkdir(parents=True, exist_ok=True)
    with running(create_app(settings, store=store, search=search), start_timeout_s=start_timeout_s) as base:
        yield base


@contextmanager
def console(settings: Settings, store: Any, search: Any, *, start_timeout_s: float = 30.0) -> Iterator[str]:
    """The web console's bundle (web/dist) served by the app on loopback."""
    require_built(WEB_DIST / "index.html", "web-test")
    with serving(settings, store, search, start_timeout_s=start_timeout_s) as base:
        yield base


@contextmanager
def own_index(store: Any, demo_search: Any, embed_cache: Path, directory: Path) -> Iterator[Any]:
    """A writable copy of the demo's index files in ``directory``, bound to ``store`` (a copy of the
    demo): for a server whose tests sync the index (an upload, a deletion)."""
    from search.service import SearchService

    shutil.copytree(demo_search.directory, directory, ignore=shutil.ignore_patterns(".lock"))
    search = SearchService(store, directory, demo_search.embedder, cache_path=embed_cache)
    try:
        yield search
    finally:
        search.close()


class Context:
    """A fresh browser context, in Chinese unless ``locale`` says otherwise (``navigator.language``
    and the pages' Accept-Language; see :func:`launch` for the WebSocket's); page errors fail the
    test at :meth:`close`."""

    full_page = True

    def __init__(
        self, browser: Any, base: str, shots: Path, *, locale: str = "zh-CN", **options: Any
    ) -> None:
        self.base = base
        self.shots = shots
        self.context = browser.new_context(locale=locale, **options)
        self.problems: list[str] = []

    def _open(self, timeout_ms: int) -> None:
        """The context's page, once the subclass has set the context up."""
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.set_default_timeout(timeout_ms)

    def shot(self, name: str) -> None:
        self.page.wait_for_timeout(300)  # let transitions settle
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=self.full_page)

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


class Page(Context):
    """The web console, recording CSP violations and page errors."""

    def __init__(self, browser: Any, base: str, *, bypass_csp: bool = False, locale: str = "zh-CN") -> None:
        super().__init__(
            browser,
            base,
            WEB_SHOTS,
            locale=locale,
            viewport={"width": 1280, "height": 860},
            bypass_csp=bypass_csp,
        )
        self.context.expose_function("zhikuCspViolation", self._violation)
        self.context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "window.zhikuCspViolation(location.pathname, e.violatedDirective, e.sample || ''))"
        )
        self._open(20_000)

    def _violation(self, path: str, directive: str, sample: str) -> None:
        # Ant Design's table measures the scrollbar by injecting an empty ::-webkit-scrollbar rule
        # without a nonce (@rc-component/util getScrollBarSize); the CSP blocks it and nothing
        # changes (the rule is empty unless the page styles its scrollbars, which ours does not).
        if directive == "style-src-elem" and sample.lstrip().startswith("#rc-scrollbar-measure-"):
            return
        self.problems.append(f"CSP violation on {path}: {directive} {sample!r}")

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, employee: str) -> Any:
        """Sign in through the login page's persona picker (the development login)."""
        page = self.go("/login")
        page.evaluate("localStorage.removeItem('zhiku.session')")  # whoever was signed in signs out
        page.reload()
        page.get_by_role("combobox", name="选择员工").click()
        page.keyboard.type(employee)
        page.locator(".ant-select-item-option", has_text=employee).first.click()
        page.get_by_role("button", name="登 录").click()
        page.get_by_test_id("me").wait_for()
        return page


class Phone(Context):
    """The mini-program's H5 build at a phone's size."""

    full_page = False

    def __init__(self, browser: Any, base: str, wechat: dict[str, Any] | None = None) -> None:
        """``wechat``: play WeChat's side in the page (lib/wechat.ts's bridge) — ``answer``, the user's
        answer to every template in the consent dialog, and ``code``, what wx.login returns."""
        super().__init__(
            browser,
            base,
            H5_SHOTS,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
        )
        if wechat is not None:
            self.context.add_init_script(
                f"""window.zhikuWeChat = {{
                  requestSubscribeMessage: async (ids) => {{
                    window.zhikuAsked = ids;
                    return Object.fromEntries(ids.map((id) => [id, {json.dumps(wechat["answer"])}]));
                  }},
                  login: async () => ({{ code: {json.dumps(wechat["code"])} }}),
                }};"""
            )
        self._open(30_000)

    def go(self, route: str) -> Any:
        self.page.goto(f"{self.base}/m/#/pages/{route}")
        return self.page

    def sign_in(self, employee: str) -> Any:
        page = self.go("login/index")
        page.locator(f".persona[data-id='{employee}']").click()
        page.locator(".ask-send").wait_for()  # on the ask page
        return page


def serious_violations(ui: Page, visits: Any) -> dict[str, list[str]]:
    """axe-core's serious and critical violations on each ``(employee or None, path)`` visited in turn
    (``ui`` must bypass the CSP: axe is injected as a script)."""
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `make web` (npm ci in web/)")
    found: dict[str, list[str]] = {}
    for who, path in visits:
        if who is not None:
            ui.sign_in(who)
        page = ui.go(path)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        serious = [
            f"{v['id']}: {v['help']}: {', '.join(str(n['target'][0]) for n in v['nodes'][:6])}"
            for v in result
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    return found
