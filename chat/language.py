"""Which language a chat message is in, as the dialog needs it: one of the ten (for NLU routing and
the reply), a language outside them (answered in English with a note), or no language at all
(emoji, digits, pinyin).

Scripts decide first — kana means Japanese, Hangul Korean, Han characters Chinese even in a mixed
“我的 VPN 连不上 help” (a question with Chinese in it is asked by someone who reads Chinese), Arabic,
Thai, Hebrew, Devanagari… a language outside the ten. Latin and Cyrillic text goes to the language
identifier :mod:`lang.detect`. Romanised Chinese (pinyin: “nianjia zenme qing”) is recognised by its
syllables, so it is not taken for Vietnamese or Indonesian — unless it reads as romanised names or the
identifier places it in one of the ten with confidence ("Come ti chiami":
:func:`lang.detect.romanised_chinese`).

Example::

    spoken("How many days of marriage leave do I get?")   # Spoken('en', supported=True)
    spoken("¿Cuántos días de vacaciones tengo?")            # Spoken('es', supported=False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graph.base import GraphStore
from lang.detect import romanised_chinese
from lang.text import to_simplified
from queries import load as load_query
from zhiku.i18n import DEFAULT, FALLBACK, LANGUAGES, normalise

#: The languages the intent model was trained in; the others are answered from retrieval only.
NLU_LANGUAGES = frozenset({"zh_Hans", "zh_Hant", "en", "ja"})

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
#: Scripts of languages outside the ten (Arabic, Hebrew, Greek, Armenian, Georgian, Indic, Thai, Lao…).
_OTHER_SCRIPTS = re.compile(
    r"[\u0370-\u03ff\u0530-\u058f\u0590-\u05ff\u0600-\u06ff\u0900-\u0dff\u0e00-\u0eff\u10a0-\u10ff]"
)
_LATIN_WORD = re.compile(r"[a-zà-ÿœ']+", re.I)


@dataclass(frozen=True, slots=True)
class Spoken:
    """The language of one message: ``code`` is a Zhiku language when ``supported``, else an ISO 639-1
    code (or ``None``: no language could be told — emoji, numbers). ``weak``: a guess from a word or
    two (“hello”, “cancel”), which the conversation's language overrides."""

    code: str | None
    supported: bool
    pinyin: bool = False
    weak: bool = False


#: Below this the identifier's answer on a short message (one or two words) is only a guess.
SURE = 0.7


@lru_cache(maxsize=1)
def _vocabularies() -> dict[str, frozenset[str]]:
    """The words each Latin-script language of the ten uses in Zhiku's own texts (its catalogue, and
    for English the intent model's training utterances): what a one- or two-word reply is read by."""
    from chat.intents import LANGUAGE_DATA, load_utterances
    from zhiku.i18n import translations

    out = {}
    for language in ("en", "de", "fr", "it", "nl", "pt"):
        catalog = getattr(translations(language), "_catalog", {})
        text = " ".join(str(v) for v in catalog.values())
        if language == "en":
            text += " " + " ".join(t for _, t in load_utterances(LANGUAGE_DATA["en"][0]))
        out[language] = frozenset(_LATIN_WORD.findall(text.lower()))
    return out


def _guess_short(text: str) -> str | None:
    """The language whose vocabulary has every word of a short message (English first)."""
    words = _LATIN_WORD.findall(text.lower())
    if not words:
        return None
    return next((lang for lang, vocab in _vocabularies().items() if all(w in vocab for w in words)), None)


def _identify(text: str) -> Spoken:
    """Latin or Cyrillic text's language by the shared identifier (:mod:`lang.detect`); a message of
    one or two words it is not sure of is read by the words Zhiku itself uses in each language."""
    from lang.detect import detect_language

    found = detect_language(text)
    short = len(_LATIN_WORD.findall(text)) < 3 and not _CYRILLIC.search(text)
    if found.known and (found.confidence >= SURE or not short):
        code = normalise(found.code)
        # an unsure answer on a longer message is still the best guess, but only a guess: "And in
        # Chengdu?" reads as Dutch (0.38) — in a conversation in English it is English
        weak = found.confidence < SURE
        return Spoken(code, True, weak=weak) if code in LANGUAGES else Spoken(found.code, False)
    if found.other is not None and not short:
        return Spoken(found.other, False)
    # the identifier's unsure answer only on a real word (not a code like HR-F-001)
    unsure = normalise(found.code) if found.known and not re.search(r"\d", text) else None
    guess = _guess_short(text) or unsure
    return Spoken(guess, guess is not None, weak=True)


def spoken(text: str) -> Spoken:
    """The language ``text`` is written in (see the module docstring)."""
    if _KANA.search(text):
        return Spoken("ja", True)
    if _HANGUL.search(text):
        return Spoken("ko", True)
    if _HAN.search(text):
        simplified = to_simplified(text)
        return Spoken("zh_Hans" if simplified == text else "zh_Hant", True)
    if _OTHER_SCRIPTS.search(text) and not _LATIN.search(text):
        return Spoken("other", False)
    if not (_LATIN.search(text) or _CYRILLIC.search(text)):
        return Spoken(None, False)
    if romanised_chinese(text):
        return Spoken("zh_Hans", True, pinyin=True)
    return _identify(text)


def profile_language(store: GraphStore, employee: str) -> str | None:
    """The language in the employee's profile (the ``language`` property of their Employee node, set by
    the org chart or WeCom's directory), as a Zhiku code; ``None`` when unset or not one of the ten."""
    rows = store.query(load_query("employee_language").text, {"id": employee})
    value = rows[0].get("language") if rows else None
    return normalise(str(value)) if value else None


def reply_language(chosen: str | None, said: Spoken, previous: str = "") -> tuple[str, bool]:
    """The language to answer in, and whether to say that the asker's language is not supported.

    ``chosen``: what the caller chose (an explicit argument, Accept-Language, the profile), as a tag —
    one naming a language outside the ten is answered in English with the note. Without a choice: the
    message's language; for a message in no telling language (“ok”, “8000”) the conversation's
    (``previous``), else Chinese; for a language outside the ten, English with the note."""
    if chosen:
        code = normalise(chosen)
        return (code, False) if code else (FALLBACK, True)
    if said.code is not None and not said.supported:
        return FALLBACK, True
    if said.weak and previous:
        return previous, False
    return said.code or previous or DEFAULT, False
