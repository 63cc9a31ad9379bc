"""Language identification for questions, chunks and documents: one of the ten languages Zhiku
serves (zh, en, ja, ko, de, fr, it, nl, pt, ru) or ``und``.

py3langid (langid.py's maintained fork: a naive Bayes model over byte n-grams, 4.5 MB installed with
its model) identifies the language. It replaced lingua (292 MB installed): on every question of
bench/data (1,022 in the ten) it is right on all where lingua missed 10 ("How do I install smart
tags?" → German, "Что такое Ghostscript?" → English), on 1,200 help-page chunks it agrees with the
page's language as often or more, at under a quarter of the CPU (``bench/lang_detect.py``,
bench/RESULTS.md).

Two identifiers: one restricted to the ten gives the best guess; one that also knows common languages
outside the ten (Spanish, Indonesian, Ukrainian, …) recognises a question *not* in the ten — an
identifier restricted to the ten calls Spanish "Portuguese" with confidence 0.99. Short CJK text is
decided by script, where n-gram models misfire on two or three characters: kana → ja, hangul → ko,
Han alone → zh; Chinese gets its script (``Hans``/``Hant``) from OpenCC, which Zhiku already uses to
convert traditional queries.

    >>> detect_language("How many days of marriage leave do I get?").code
    'en'
    >>> detect_language("婚假有幾天").script
    'Hant'
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lang.pinyin import looks_like_pinyin

#: The ten, in the order the brief lists them (ISO 639-1).
SUPPORTED: tuple[str, ...] = ("zh", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru")
UNDETERMINED = "und"

# Common languages outside the ten that the identifier should recognise as such (ISO 639-1), so that
# they are not forced onto the nearest of the ten.
_DECOYS = (
    "es", "ca", "id", "ms", "vi", "tr", "pl", "sv", "da", "no", "uk", "ar", "hi", "th", "cs", "ro",
    "el", "he", "fa", "tl", "fi", "hu",
)  # fmt: skip

# Below this confidence (over the ten) a guess is not worth steering tokenisation by, unless the wide
# identifier agrees on it (then :data:`MIN_AGREED_CONFIDENCE`): "Urlaub beantragen" is only 0.47
# German over the ten, but German is also the top overall.
MIN_CONFIDENCE = 0.5
MIN_AGREED_CONFIDENCE = 0.3
# An outside language must be this sure before a question is called out of the ten.
MIN_OTHER_CONFIDENCE = 0.6

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_CJK = re.compile(f"{_HAN.pattern}|{_KANA.pattern}|{_HANGUL.pattern}")
_WORD = re.compile(r"[^\W\d_]{2,}")  # a run of two or more letters
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Language:
    """A detected language: ``code`` is one of :data:`SUPPORTED` or ``"und"``.

    ``script`` is ``"Hans"``/``"Hant"`` for Chinese (None otherwise); ``other`` the ISO 639-1 code of a
    recognised language outside the ten (``code`` is then ``"und"``).
    """

    code: str
    script: str | None = None
    confidence: float = 0.0
    other: str | None = None

    @property
    def known(self) -> bool:
        return self.code != UNDETERMINED

    @property
    def tag(self) -> str:
        """A BCP 47 tag: ``zh-Hans``, ``zh-Hant``, ``en``, ``und``."""
        return f"{self.code}-{self.script}" if self.script else self.code


UND = Language(UNDETERMINED)

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _identifiers() -> tuple[Any, Any, Any]:
    """py3langid over the ten, over the ten with decoys, and over every language its model knows (~140;
    read only on what looks like pinyin, :func:`romanised_chinese`)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ten = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ten.set_languages(SUPPORTED)
    wide = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    wide.set_languages((*SUPPORTED, *_DECOYS))
    every = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return ten, wide, every


@lru_cache(maxsize=1)
def _opencc() -> tuple[Any, Any]:
    import opencc

    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


def chinese_script(text: str) -> str:
    """``Hant`` when more characters are traditional-only than simplified-only, else ``Hans``."""
    han = "".join(_HAN.findall(text))
    if not han:
        return "Hans"
    t2s, s2t = _opencc()
    with _LOCK:
        simplified, traditional = t2s.convert(han), s2t.convert(han)
    trad_only = sum(a != b for a, b in zip(han, simplified, strict=False))
    simp_only = sum(a != b for a, b in zip(han, traditional, strict=False))
    return "Hant" if trad_only > simp_only else "Hans"


#: CJK carries a text when its CJK characters (Han, kana, hangul) are, with one standard error to
#: spare, at least this share of its CJK characters plus its words in other scripts (the lower Wilson
#: bound, z = 1, of that share: :func:`cjk_share`). Then the script decides its language (kana → ja,
#: hangul → ko, else zh) and it is analysed as such whatever language it was given. One rule for
#: questions and documents, short and long — a short text needs a clear CJK majority, a long one only
#: this share: "我的 VPN 连不上 help" (5 of 7, bound 0.53) and a Chinese help page quoting English
#: menu names (say 60 of 150, bound 0.36) are Chinese; "What is 婚假?" (2 of 4, bound 0.28) and an
#: English page naming 婚假 are not. It replaces two rules (CJK "words" at 1.5 characters against
#: other words for short text, Han share ≥ 0.3 from 40 characters on) with the same results on the
#: dev splits of bench/retrieval_real.py and bench/multilingual.py (bench/RESULTS.md).
CJK_SHARE = 0.3


def cjk_share(text: str) -> float:
    """The lower Wilson bound (z = 1) of the share of CJK characters among CJK characters and words
    of two or more letters in other scripts; 0 without CJK."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return 0.0
    n = cjk + len(_WORD.findall(_CJK.sub(" ", text)))
    p = cjk / n
    return (p + 1 / (2 * n) - math.sqrt(p * (1 - p) / n + 1 / (4 * n * n))) / (1 + 1 / n)


def cjk_language(text: str) -> str | None:
    """``ja``, ``ko`` or ``zh`` when CJK carries ``text`` (:data:`CJK_SHARE`), by its script; else None."""
    if cjk_share(text) < CJK_SHARE:
        return None
    if _KANA.search(text):
        return "ja"
    if len(_HANGUL.findall(text)) >= len(_HAN.findall(text)):
        return "ko"
    return "zh"


def _by_script(text: str) -> Language | None:
    code = cjk_language(text)
    if code is None:
        return None
    return Language(code, chinese_script(text) if code == "zh" else None, 1.0)


def _identify(text: str) -> Language:
    ten, wide, _ = _identifiers()
    name, value = ten.classify(text)
    top_code, top_value = wide.classify(text)
    if top_code not in SUPPORTED and top_value >= MIN_OTHER_CONFIDENCE:
        return Language(UNDETERMINED, confidence=round(float(top_value), 3), other=str(top_code))
    confidence = round(float(value), 3)
    if confidence >= MIN_CONFIDENCE or (top_code == name and confidence >= MIN_AGREED_CONFIDENCE):
        return Language(str(name), confidence=confidence)
    return UND


def warm() -> None:
    """Load the identifiers (~1.6 s of CPU: the ten, the ten with decoys, and the full model that
    tells pinyin from Italian) at start-up rather than inside the first questions' requests."""
    _identifiers()


#: Syllables of pinyin that the identifier over every language it knows puts in one of the ten at least
#: this sure are that language ("Come ti chiami": Italian 0.59, "mi chiamo Luca" 0.84, "Ciao come va"
#: 0.29). Chosen on 318 pinyin questions (the demo's FAQ questions and the dev questions of
#: bench/multilingual.py and bench/multilingual_zh.py in toneless pinyin, by word and by syllable):
#: only 6 had one of the ten on top, at most 0.21 (bench/RESULTS.md, session 14).
PINYIN_NOT_BELOW = 0.25
_NAME_WORD = re.compile(r"[A-Z][a-z]+")


def reads_as_names(text: str) -> bool:
    """Every word capitalised (two or more): romanised names ("Chen Wei Zhang Lei"), not a question."""
    words = text.split()
    return len(words) >= 2 and all(_NAME_WORD.fullmatch(w.strip(",.;:!?")) for w in words)


def romanised_chinese(text: str) -> bool:
    """Pinyin typed for Chinese ("nianjia zenme qing"): every word pinyin syllables
    (:func:`lang.pinyin.looks_like_pinyin`), but not a run of romanised names, and not a sentence the
    identifier over every language it knows places in one of the ten with confidence
    (:data:`PINYIN_NOT_BELOW`) — Italian and pinyin share most syllables."""
    if not looks_like_pinyin(text) or reads_as_names(text):
        return False
    code, value = _identifiers()[2].classify(text)
    return not (code in SUPPORTED and float(value) >= PINYIN_NOT_BELOW)


def main_language(codes: Sequence[str], weights: Sequence[int]) -> str:
    """The language with the most weight (a document's: its chunks' languages by characters),
    ``und`` when none of ``codes`` is known."""
    total: dict[str, int] = {}
    for code, weight in zip(codes, weights, strict=True):
        if code and code != UNDETERMINED:
            total[code] = total.get(code, 0) + weight
    return max(total, key=lambda c: total[c]) if total else UNDETERMINED


@lru_cache(maxsize=8192)
def detect_language(text: str) -> Language:
    """The language of ``text``: one of :data:`SUPPORTED`, or :data:`UND` (too short, no letters,
    ambiguous, or a language outside the ten — then ``other`` names it when the identifier is sure).
    Kept for the 8,192 most recent texts (a frozen result): an ``ask`` detects its question's language
    in the resolver, the search and the answer gate, and the passages it weighs come back often."""
    return detect_languages([text])[0]


def detect_languages(texts: Sequence[str]) -> list[Language]:
    """:func:`detect_language` for many texts (chunks at ingest)."""
    out: list[Language] = []
    for text in texts:
        text = (text or "").strip()
        by_script = _by_script(text)
        if by_script is not None:
            out.append(by_script)
        elif len(_LETTER.findall(text)) < 3 or romanised_chinese(text):
            out.append(UND)  # pinyin by the chat's rule: n-grams take it for Portuguese or Vietnamese
        else:
            # CJK terms in a European sentence ("What is 婚假?") only confuse the n-grams; the answer
            # is settled long before 2,000 characters.
            out.append(_identify(_CJK.sub(" ", text)[:2000]))
    return out
