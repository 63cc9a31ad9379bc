"""The message catalogue: every fixed user-facing text in the ten languages Zhiku speaks.

Source messages are written in Simplified Chinese in the code, marked with :func:`N_` (or passed to
:func:`_`), and extracted with Babel into ``zhiku/locale/zhiku.pot``; each language has its gettext
catalogue ``zhiku/locale/<lang>/LC_MESSAGES/zhiku.po``. The ``.po`` files are the source of truth and are
compiled in memory when first used (Babel's ``write_mo``), so no binary is committed or goes stale.
``python -m zhiku.i18n check`` (run by ``make lint`` and by ``tests/zhiku/test_i18n.py``) fails when a
message in the code is missing from a catalogue or lacks a translation in any of the ten;
``python -m zhiku.i18n update`` re-extracts and merges new messages into every catalogue (Traditional
Chinese is converted from Simplified with OpenCC ``s2twp``; the others must be written by a person).

The language of a reply is a context variable set once per request or turn (:func:`using`), so deep
code translates with :func:`_` without threading a parameter through every call::

    with using("de"):
        _("已为您转接人工客服（工单 {ticket}）。", ticket="T-1")   # 'Ich habe Sie … (Ticket T-1) …'

Languages are Zhiku codes: ``zh_Hans``, ``zh_Hant``, ``en``, ``ja``, ``ko``, ``de``, ``fr``, ``it``,
``nl``, ``pt``, ``ru``; :func:`normalise` maps any BCP 47 / POSIX tag (``zh-TW``, ``en_US``, ``pt-BR``)
onto them and :func:`resolve` applies the order the API uses (explicit, Accept-Language, profile,
detected, Chinese).
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import io
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

#: The ten languages (Chinese in two scripts), in the order catalogues are listed.
LANGUAGES: tuple[str, ...] = ("zh_Hans", "zh_Hant", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru")
DEFAULT = "zh_Hans"
#: Where a language outside the ten is answered (with a note saying so).
FALLBACK = "en"
DOMAIN = "zhiku"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: What Babel extracts (``update``/``check``): the packages with user-facing text.
SOURCE_PACKAGES = ("zhiku", "chat", "approvals", "wecom", "api", "search")

_current: ContextVar[str] = ContextVar("zhiku_language", default=DEFAULT)
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_HANT_REGIONS = {"TW", "HK", "MO"}


def N_(message: str) -> str:  # noqa: N802 — gettext's name for it, what extractors look for
    """Mark ``message`` for extraction without translating it (class attributes, tables)."""
    return message


def normalise(tag: str | None) -> str | None:
    """The Zhiku language for a BCP 47 or POSIX tag, or ``None`` when it names none of the ten.

    ``zh``, ``zh-CN``, ``zh-Hans`` → ``zh_Hans``; ``zh-TW``, ``zh-HK``, ``zh-Hant`` → ``zh_Hant``;
    ``en-GB`` → ``en``; ``pt-BR`` → ``pt``."""
    if not tag:
        return None
    tag = tag.strip()
    if tag in LANGUAGES:
        return tag
    if not _TAG.match(tag):
        return None
    parts = re.split(r"[-_]", tag)
    language = parts[0].lower()
    if language == "zh":
        rest = {p.upper() if len(p) == 2 else p.title() for p in parts[1:]}
        return "zh_Hant" if "Hant" in rest or rest & _HANT_REGIONS else "zh_Hans"
    return language if language in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first of the ten an ``Accept-Language`` header asks for, by q-value (RFC 9110 §12.5.4);
    ``None`` when it names none of them (``*`` included: no preference)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        language = normalise(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def resolve(
    explicit: str | None = None,
    accept_language: str | None = None,
    profile: str | None = None,
    detected: str | None = None,
) -> str:
    """The reply language: an explicit choice, else the request's ``Accept-Language``, else the
    employee's profile, else the question's detected language, else Chinese. A choice naming a
    language outside the ten counts as no choice (the next source decides)."""
    for candidate in (normalise(explicit), from_accept_language(accept_language), normalise(profile)):
        if candidate is not None:
            return candidate
    return normalise(detected) or DEFAULT


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language`` (Simplified Chinese and unknown languages: the source)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language not in LANGUAGES or not path.exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fp:
        catalog = read_po(fp, locale=language.replace("zh_Hans", "zh_Hans_CN"), domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(language: str) -> Callable[[str], str]:
    """The translate function of ``language``."""
    return translations(language).gettext


def translate(message: str, language: str, /, **params: object) -> str:
    """``message`` in ``language``, its ``{placeholders}`` filled from ``params``."""
    text = gettext(language)(message)
    return text.format(**params) if params else text


def tr(message: str, /, **params: object) -> str:
    """``message`` in the current language (see :func:`using`). Modules import it as gettext's ``_``
    (``from zhiku.i18n import tr as _``), the name the extractor looks for."""
    return translate(message, _current.get(), **params)


_ = tr


def current() -> str:
    """The language of the current request or turn."""
    return _current.get()


@contextlib.contextmanager
def using(language: str | None) -> Iterator[str]:
    """Translate into ``language`` (one of the ten; anything else: Chinese) inside the block."""
    chosen = normalise(language) or DEFAULT
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@lru_cache(maxsize=1)
def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2twp")


_S2T_LOCK = threading.Lock()


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (OpenCC ``s2twp``): the catalogue's ``zh_Hant`` and text that is
    not in the catalogue (an error's own Chinese detail)."""
    with _S2T_LOCK:
        return str(_s2t().convert(text))  # type: ignore[attr-defined]


def everywhere(message: str) -> set[str]:
    """``message`` in every language, lower-cased: what a reply may say back (“确认”, “confirm”, “はい”)."""
    return {translate(message, language).casefold() for language in LANGUAGES} | {message.casefold()}


def language_name(language: str, in_language: str) -> str:
    """The name of ``language`` in ``in_language`` (“Chinesisch”), from CLDR through Babel."""
    from babel import Locale, UnknownLocaleError

    code = {"zh_Hans": "zh", "zh_Hant": "zh"}.get(language, language)
    display = {"zh_Hans": "zh_Hans", "zh_Hant": "zh_Hant"}.get(in_language, in_language)
    try:
        name = Locale.parse(display).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return str(name or code)


# -- catalogue maintenance (``python -m zhiku.i18n check|update``) ------------------------------------


def extract(root: Path | None = None) -> dict[str, list[str]]:
    """Every message marked in the source: msgid → where (``path:line``)."""
    from babel.messages.extract import extract_from_dir

    root = root or LOCALE_DIR.parent.parent
    found: dict[str, list[str]] = {}
    for package in SOURCE_PACKAGES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            root / package,
            method_map=[("**.py", "python")],
            keywords={"_": None, "N_": None, "translate": (1,)},
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append(f"{package}/{filename}:{lineno}")
    return found


_HAN = re.compile(r"[\u4e00-\u9fff]")


def _still_chinese(language: str, msgid: str, msgstr: str) -> bool:
    """A translation left as the Chinese source: Han characters in a language written without them,
    or (Japanese) the source copied unchanged."""
    if language.startswith("zh") or not _HAN.search(msgid):
        return False
    if language == "ja":  # kanji may be shared; simplified forms (门, 请) are not Japanese
        return msgstr == msgid and to_traditional(msgid) != msgid
    # a Chinese example inside a translation (“年假怎么请”) is fine; a translation mostly in Han is not
    letters = [c for c in msgstr if c.isalpha()]
    return sum(bool(_HAN.match(c)) for c in letters) > 0.3 * max(len(letters), 1)


def problems(root: Path | None = None) -> list[str]:
    """What keeps the catalogue from being complete: a message in the code missing from a language's
    catalogue, an empty or fuzzy translation, a translation whose ``{placeholders}`` differ."""
    from babel.messages.pofile import read_po

    wanted = extract(root)
    out = []
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.exists():
            out.append(f"{language}: no catalogue at {path}")
            continue
        with path.open("rb") as fp:
            catalog = read_po(fp)
        for msgid, where in sorted(wanted.items()):
            entry = catalog.get(msgid)
            if entry is None:
                out.append(f"{language}: missing {msgid!r} ({where[0]})")
            elif not entry.string or entry.fuzzy or _still_chinese(language, msgid, str(entry.string)):
                out.append(f"{language}: untranslated {msgid!r} ({where[0]})")
            elif set(re.findall(r"{(\w+)}", msgid)) != set(re.findall(r"{(\w+)}", str(entry.string))):
                out.append(f"{language}: placeholders differ in {msgid!r}")
    return out


def update(root: Path | None = None) -> None:
    """Re-extract, write ``zhiku.pot``, merge new messages into every ``.po`` (Traditional Chinese and
    Simplified Chinese filled in; the others left empty for a translator, so ``check`` fails)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    found = extract(root)

    def template() -> Catalog:  # a fresh one per language: Catalog.update shares its new messages
        catalog = Catalog(domain=DOMAIN, project="zhiku", charset="utf-8")
        for msgid, where in found.items():
            locations = [(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where]
            catalog.add(msgid, locations=locations)
        return catalog

    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as fp:
        write_po(fp, template(), width=100, omit_header=False)
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as source:
                catalog = read_po(source, locale=language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="zhiku", charset="utf-8")
        catalog.update(template(), no_fuzzy_matching=True)
        for message in catalog:
            if not message.id or message.string:
                continue
            if language == "zh_Hans":
                message.string = message.id
            elif language == "zh_Hant":
                message.string = to_traditional(str(message.id))
        catalog.obsolete.clear()
        with path.open("wb") as fp:
            write_po(fp, catalog, width=100, omit_header=False, ignore_obsolete=True)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        return 0
    found = problems()
    for problem in found:
        print(problem)
    print(f"i18n: {len(extract())} messages, {len(LANGUAGES)} languages, {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
