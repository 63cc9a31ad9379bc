"""Text normalisation and Chinese tokens: what search indexes and queries, chat classifies, and
extraction tags, segmented the same way.

Queries arrive as employees type them: traditional characters (converted with OpenCC ``t2s``),
full-width letters (NFKC), stray whitespace, emoji, 10,000-character pastes (cut to
:data:`MAX_QUERY_CHARS`). Tokens are jieba's search-mode segmentation with the gazetteer's surfaces
as its user dictionary — the same segmentation extraction uses — lower-cased, without punctuation
and function words. :func:`jieba_tokenizer` is that segmentation, shared with extraction's
part-of-speech tagger (:mod:`ingest.extract`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_QUERY_CHARS = 256
_WORDY = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_SPACES = re.compile(r"\s+")
STOPWORDS = frozenset({
    "的", "了", "吗", "呢", "吧", "啊", "呀", "么", "嘛", "是", "在", "和",
    "与", "及", "或", "就", "都", "也", "还", "要", "会", "能", "可以", "怎么",
    "怎样", "如何", "什么", "哪些", "哪个", "哪里", "多少", "几", "请问", "我",
    "我们", "你", "你们", "他", "她", "它", "这", "那", "这个", "那个", "有",
    "没有", "一下", "一个", "需要", "应该", "可", "公司", "请", "想", "问",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class NormalisedQuery:
    text: str
    truncated: bool = False
    converted: bool = False  # traditional → simplified happened


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


_T2S_LOCK = threading.Lock()


# A UTF-16 surrogate on its own (a JSON "\\ud83d" without its pair, a pasted half emoji) is no
# character: nothing that encodes to UTF-8 (OpenCC, SentencePiece, Redis, the graph) accepts it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, as a UTF-8 decoder replaces what it
    cannot read — so a question with one is answered from the rest instead of failing."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def to_simplified(text: str) -> str:
    with _T2S_LOCK:
        return str(_t2s().convert(well_formed(text)))


# Kana or hangul: Japanese or Korean, whose kanji/hanja are not traditional Chinese (結婚休暇 stays).
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


def normalise_query(raw: str) -> NormalisedQuery:
    """NFKC, traditional → simplified (Chinese only), whitespace collapsed, cut to
    :data:`MAX_QUERY_CHARS`."""
    text = unicodedata.normalize("NFKC", well_formed(raw or ""))
    text = _SPACES.sub(" ", text).strip()
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    simplified = text if _KANA_HANGUL.search(text) else to_simplified(text)
    return NormalisedQuery(simplified, truncated, simplified != text)


def has_content(text: str) -> bool:
    """Whether the text has any letter, digit or CJK character (not only punctuation or emoji)."""
    return bool(_WORDY.search(text))


_JIEBA_LOCK = threading.Lock()


def jieba_tokenizer(words: Iterable[str]) -> Any:
    """A private jieba tokenizer with ``words`` (the gazetteer's surfaces) as its user dictionary."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _JIEBA_LOCK:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in words:
            tokenizer.add_word(word, freq=20000, tag="nz")
    return tokenizer


class Tokenizer:
    """jieba search-mode tokens with the gazetteer as user dictionary (thread-safe after build)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = jieba_tokenizer(words)
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        with self._lock:
            pieces = list(self._jieba.cut_for_search(text))
        return [p for p in (p.strip() for p in pieces) if p and p not in STOPWORDS and has_content(p)]

    def words(self, text: str) -> list[str]:
        """The words of ``text`` as a reader splits it: jieba's precise mode over its dictionary and the
        gazetteer, without guessing new words (no HMM), so a run the dictionary does not know stays
        single characters instead of becoming a fragment such as 价去 or 能收 (search mode's tokens,
        :meth:`tokens`, overlap and keep such fragments). Lower-cased; punctuation dropped."""
        text = unicodedata.normalize("NFKC", text).lower()
        with self._lock:
            pieces = list(self._jieba.cut(text, HMM=False))
        return [p for p in (p.strip() for p in pieces) if p and has_content(p)]
