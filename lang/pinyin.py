"""Romanised Chinese (pinyin without tones: “nianjia zenme qing”), recognised by its syllables so that
it is taken neither for one of the ten languages nor for Vietnamese or Indonesian: the language
identifier (:mod:`lang.detect`) leaves it undetermined and the chat (:mod:`chat.language`) asks for
characters.

    >>> looks_like_pinyin("nianjia zenme qing")
    True
    >>> looks_like_pinyin("annual leave")
    False
"""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"[a-zü]+")
#: One pinyin syllable (without tones): initial, then a final (ü written u or v).
_PINYIN = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|üan|ai|ei|ao|ou|an|en|er|in|un|vn|ia|ie|iu|"
    r"ua|uo|ui|ue|ve|üe|a|o|e|i|u|v|ü)"
)


def _is_pinyin_word(word: str) -> bool:
    """Whether ``word`` splits into pinyin syllables (greedy, longest first, with backtracking)."""
    if not word:
        return True
    for end in range(min(len(word), 6), 0, -1):
        if _PINYIN.fullmatch(word[:end]) and _is_pinyin_word(word[end:]):
            return True
    return False


def looks_like_pinyin(text: str) -> bool:
    """Two or more Latin words, every one of them pinyin syllables (“nianjia zenme qing”, “baoxiao”
    alone is too short to tell)."""
    if _HAN.search(text) or _CYRILLIC.search(text):
        return False
    words = _WORD.findall(text.lower())
    letters = sum(len(w) for w in words)
    if len(words) < 2 or letters < 8 or len(words) != len(text.split()):
        return False
    return all(_is_pinyin_word(w) for w in words)
