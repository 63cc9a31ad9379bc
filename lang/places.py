"""Place names in a message (成都, 北京): the city slot of the chat's follow-ups.

Cities are not entities of a company's ontology, yet "那去成都呢？" after a hotel question asks for
the same rule in another city. jieba's part-of-speech tagger knows Chinese place names (tag ``ns``);
that is all this uses.

Example::

    places("那去成都呢？")   # ['成都']
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()


def places(text: str) -> list[str]:
    """The place names in ``text``, in order, each once."""
    import jieba.posseg

    with _LOCK:  # jieba's default tokenizer is shared; its first use loads the dictionary
        pairs = [(p.word, p.flag) for p in jieba.posseg.cut(text)]
    return list(dict.fromkeys(word for word, flag in pairs if flag == "ns" and len(word) >= 2))
