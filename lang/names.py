"""Proper names in a message that are not a company's vocabulary: persons and organisations
(华为, 特斯拉, 阿里巴巴).

"华为员工出差能坐商务座吗" shares everything with the travel FAQ but the name of the company it asks
about. jieba's dictionary tags the names it knows — persons ``nr``, transliterated names ``nrt``,
organisations ``nt`` — and that is all this uses: a closed, general list of the language's names, not
any company's. The words come already split (:meth:`lang.text.Tokenizer.words`: dictionary words only,
no guessed ones) and are looked up in the dictionary's tag table, with no second segmentation. Place
names are :func:`lang.places.places`.

Example::

    names(["华为", "员工", "出差"])   # ['华为']
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

#: jieba's tags of person and organisation names.
NAME_TAGS = frozenset({"nr", "nrt", "nt"})


@functools.cache
def tags() -> Mapping[str, str]:
    """jieba's dictionary: word → part-of-speech tag — the tagger's own table, read where it is (it is
    loaded when ``jieba.posseg`` is imported; a copy would hold ~350,000 entries twice)."""
    import jieba.posseg

    table: Mapping[str, str] = jieba.posseg.dt.word_tag_tab
    return table


def names(words: Iterable[str]) -> list[str]:
    """The ``words`` of two characters or more that jieba's dictionary tags as a person's or an
    organisation's name, each once."""
    table = tags()
    return list(dict.fromkeys(w for w in words if len(w) >= 2 and table.get(w) in NAME_TAGS))
