"""Keyword tokens per language: what BM25 indexes and queries, analysed the way each language needs.

* Chinese (and undetermined or mixed text, whose Latin words jieba keeps whole): jieba search mode
  with the gazetteer as user dictionary (:class:`lang.text.Tokenizer`, as before);
* Japanese: MeCab through fugashi with IPADIC (the ``ipadic`` package: 51 MB installed where
  UniDic-lite took 249 MB, with the same keyword-search figures on bench/multilingual.py; dictionary
  form, particles and auxiliaries dropped), loaded on first Japanese text;
* Korean: Kiwi (kiwipiepy, its model from ``kiwipiepy-model``): nouns, verb and adjective stems,
  roots, foreign words and numbers; loaded on first Korean text (~6 s, so never at start-up);
* English, German, French, Italian, Dutch, Portuguese, Russian: lower-cased words, Snowball-stemmed
  (PyStemmer), then accents stripped so ``congé``/``conge`` meet.

Tokens of different languages rarely meet; that is the point (a Chinese chunk is not matched on
English stems), and :mod:`search.fusion` leans on the dense ranker when the question's language is
not the chunk's.

    analyser = Analyser(gazetteer_surfaces)
    analyser.tokens("How do I insert page numbers?", "en")  # ['how', 'do', 'i', 'insert', 'page', 'number']
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import Any

from lang.detect import cjk_language, detect_language
from lang.text import Tokenizer

#: Texts whose tokens :meth:`Analyser.cached_tokens` keeps: recent questions and the passages they meet.
CACHED_TEXTS = 8192

#: Snowball's algorithm for each European language of the ten.
SNOWBALL = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "ru": "russian",
}
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
# IPADIC parts of speech that carry no topic: particles, auxiliaries, symbols (blanks are 記号 too).
_JA_SKIP = frozenset({"助詞", "助動詞", "記号"})
# IPADIC's suffix verbs (passive/causative れる, られる, せる) are UniDic's auxiliaries: dropped too.
_JA_SUFFIX_VERB = ("動詞", "接尾")
# IPADIC's features: pos1-4, conjugation type and form, then the dictionary form ("*" when unknown).
_JA_BASE = 6
# Kiwi tags kept: nouns, verb/adjective stems, roots, foreign words, Chinese characters, numbers.
_KO_KEEP = ("NN", "NR", "VV", "VA", "XR", "SL", "SH", "SN")

_JA_LOCK = threading.Lock()
_KO_LOCK = threading.Lock()
_STEM_LOCK = threading.Lock()


def fold_accents(text: str) -> str:
    """``Congé`` → ``Conge``: combining marks removed after NFKD (Cyrillic й, ё fold too, harmlessly)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=len(SNOWBALL))
def _stemmer(code: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(SNOWBALL[code])


@lru_cache(maxsize=1)
def _mecab() -> Any:
    import fugashi
    import ipadic

    return fugashi.GenericTagger(ipadic.MECAB_ARGS)


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


def european_tokens(text: str, code: str) -> list[str]:
    """Lower-cased, Snowball-stemmed, accent-folded words (single letters dropped)."""
    words = [w for w in _WORDS.findall(unicodedata.normalize("NFKC", text).lower()) if len(w) > 1]
    with _STEM_LOCK:  # a PyStemmer object is not thread-safe
        stems = _stemmer(code).stemWords(words)
    return [fold_accents(s) for s in stems]


def japanese_tokens(text: str) -> list[str]:
    """MeCab (IPADIC) words in dictionary form, without particles, auxiliaries and symbols."""
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    with _JA_LOCK:
        for word in _mecab()(text):
            feature = word.feature
            if feature[0] in _JA_SKIP or (feature[0], feature[1]) == _JA_SUFFIX_VERB:
                continue
            base = feature[_JA_BASE] if len(feature) > _JA_BASE and feature[_JA_BASE] != "*" else None
            out.append(base or word.surface)
    return [t for t in out if t.strip() and _WORDS.search(t)]


def mecab_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """MeCab's (IPADIC) words of ``text`` with their features (part of speech and subtypes first)."""
    text = unicodedata.normalize("NFKC", text)
    with _JA_LOCK:
        return [(word.surface, tuple(word.feature)) for word in _mecab()(text)]


def kiwi_tags(text: str) -> list[tuple[str, str]]:
    """Kiwi's morphemes of ``text`` with their tags (``NNP``: a proper noun)."""
    text = unicodedata.normalize("NFKC", text)
    with _KO_LOCK:
        return [(t.form, t.tag) for t in _kiwi().tokenize(text)]


def korean_tokens(text: str) -> list[str]:
    """Kiwi morphemes that carry content (nouns, stems, roots, foreign words, numbers)."""
    text = unicodedata.normalize("NFKC", text).lower()
    with _KO_LOCK:
        tokens = _kiwi().tokenize(text)
    return [t.form for t in tokens if t.tag.startswith(_KO_KEEP)]


class Analyser:
    """Tokens of a text in its language (given, else detected); thread-safe after construction.

    ``words`` are the gazetteer's surfaces, jieba's user dictionary for Chinese (as
    :class:`lang.text.Tokenizer`)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.chinese = Tokenizer(words)
        self._by_code: dict[str, Callable[[str], list[str]]] = {
            "ja": japanese_tokens,
            "ko": korean_tokens,
            **{code: partial(european_tokens, code=code) for code in SNOWBALL},
        }
        self._cached = lru_cache(maxsize=CACHED_TEXTS)(self._tokens_tuple)

    def cached_tokens(self, text: str, language: str | None = None) -> tuple[str, ...]:
        """:meth:`tokens` of a text met again and again, made once and kept (the
        :data:`CACHED_TEXTS` most recent): a question, tokenised by the search and again by the answer
        gate's reading of it, and a passage's heading and title, weighed for every question it may
        answer. Only for texts read at query time: ingestion tokenises each text once."""
        return self._cached(text, language)

    def _tokens_tuple(self, text: str, language: str | None) -> tuple[str, ...]:
        return tuple(self.tokens(text, language))

    def tokens(self, text: str, language: str | None = None) -> list[str]:
        """BM25 tokens; ``language`` an ISO 639-1 code (``zh``, ``en``…), detected when None.
        Chinese, undetermined and out-of-set text goes to jieba, as all text did before."""
        code = language if language is not None else detect_language(text).code
        if code in SNOWBALL:
            # a chunk of an English document carried by CJK (a Chinese paragraph in it) needs the
            # analyser of its script (the same rule as detection: lang.detect.CJK_SHARE)
            code = cjk_language(text) or code
        analyse = self._by_code.get(code)
        return analyse(text) if analyse is not None else self.chinese.tokens(text)
