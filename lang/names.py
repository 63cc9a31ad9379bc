"""Proper names in a message that are not a company's vocabulary: persons and organisations
(华为, 特斯拉, 阿里巴巴).

"华为员工出差能坐商务座吗" shares everything with the travel FAQ but the name of the company it asks
about. jieba's dictionary tags the names it knows — persons ``nr``, transliterated names ``nrt``,
organisations ``nt`` — and that is all this uses: a closed, general list of the language's names, not
any company's. Precise mode without new-word guessing, so only dictionary words are tagged (the guessed
words of the HMM are tagged as names far too often). Place names are :func:`lang.places.places`.

Example::

    names("华为员工出差能坐商务座吗")   # ['华为']
"""

from __future__ import annotations

import threading

#: jieba's tags of person and organisation names.
NAME_TAGS = frozenset({"nr", "nrt", "nt"})
_LOCK = threading.Lock()


def names(text: str) -> list[str]:
    """The person and organisation names of two characters or more in ``text``, each once, lower-cased."""
    import jieba.posseg

    with _LOCK:  # jieba's default tokenizer is shared; its first use loads the dictionary
        pairs = [(p.word, p.flag) for p in jieba.posseg.cut(text, HMM=False)]
    return list(dict.fromkeys(word.lower() for word, flag in pairs if flag in NAME_TAGS and len(word) >= 2))
