"""Place names in a message (成都, 北京): the city slot of the chat's follow-ups.

Cities are not entities of a company's ontology, yet "那去成都呢？" after a hotel question asks for
the same rule in another city. jieba's part-of-speech tagger knows Chinese place names (tag ``ns``);
that is all this uses.

In English a place is a proper noun: :func:`named_places` reads the capitalised words after a
preposition of place ("in Beijing", "to Chengdu", "What about Shenzhen?"), which the follow-ups
swap as they swap 北京 for 成都.

Example::

    places("那去成都呢？")   # ['成都']
    named_places("What is the hotel allowance in Beijing?")   # ['Beijing']
"""

from __future__ import annotations

import re
import threading

_LOCK = threading.Lock()


def places(text: str) -> list[str]:
    """The place names in ``text``, in order, each once."""
    import jieba.posseg

    with _LOCK:  # jieba's default tokenizer is shared; its first use loads the dictionary
        pairs = [(p.word, p.flag) for p in jieba.posseg.cut(text)]
    return list(dict.fromkeys(word for word, flag in pairs if flag == "ns" and len(word) >= 2))


#: A preposition of place, then a proper noun of one to three capitalised words ("in New York").
_NAMED_PLACE = re.compile(
    r"\b(?:in|to|at|for|from|about|near|visiting|of)\s+((?:[A-Z][a-z\-']+)(?:\s+[A-Z][a-z\-']+){0,2})"
)


def named_places(text: str) -> list[str]:
    """Place names written in Latin letters (English and the other European languages' questions
    name cities so): the capitalised words after a preposition of place, in order, each once."""
    return list(dict.fromkeys(m.group(1) for m in _NAMED_PLACE.finditer(text)))
