"""Proper names in a message that are not a company's vocabulary: persons and organisations
(华为, 特斯拉, 阿里巴巴).

"华为员工出差能坐商务座吗" shares everything with the travel FAQ but the name of the company it asks
about. jieba's dictionary tags the names it knows — persons ``nr``, transliterated names ``nrt``,
organisations ``nt`` — a closed, general list of the language's names, not any company's; and a name
it does not tag as one (小米 is a grain to it, 京东 a place) is read from what follows it in the sentence,
员工, 公司, 集团… (:func:`marked_names`), as Japanese marks one with 社 or さん. The words come already
split (:meth:`lang.text.Tokenizer.words`: dictionary words only, no guessed ones) and are looked up in
the dictionary's tag table, with no second segmentation. Place names are :func:`lang.places.places`.

In the other languages :func:`foreign_names` reads what marks a name there, still without any list of
names: the Japanese dictionary's person/organisation tags and transliterated katakana (テンセント), Kiwi's
proper-noun tag in Korean, a capital standing alone inside a sentence in the cased languages whose
common nouns are lower-case ("Tencent's").

Example::

    names(["华为", "员工", "出差"])   # ['华为']
    foreign_names("テンセント社員の食事手当はいくらですか", "ja")   # ['テンセント']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence

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
    organisation's name, each once; with :func:`marked_names`, the words the sentence marks as one."""
    table = tags()
    words = list(words)
    tagged = (w for w in words if len(w) >= 2 and table.get(w) in NAME_TAGS)
    return list(dict.fromkeys([*tagged, *marked_names(words)]))


#: What follows an organisation's name in a Chinese question: its staff, the company itself, "over
#: there" (小米员工, 滴滴公司, 蚂蚁集团, 华为那边, 网易园区). A closed class of the language, like
#: Japanese's 社員 or さん (:data:`_JA_NAME_MARKER`).
ORGANISATION_MARKERS = frozenset({"员工", "公司", "集团", "那边", "园区", "总部"})
#: … of which these also follow a place ("东京那边" is the Tokyo office; "京东员工" — jieba tags 京东 a
#: place — is another company's staff).
PLACE_MARKERS = frozenset({"员工", "公司", "集团"})
#: Between a name and its marker: a possessive or "new" (京东的员工, 蔚来新员工).
_LINKS = frozenset({"的", "新"})


def _name_character(word: str, table: Mapping[str, str]) -> bool:
    """A single Chinese character that may be part of a name jieba does not know (美·团, 快·手): a noun
    or an adjective, not a pronoun, verb, preposition or numeral (我·在, 能·把, 五·险)."""
    return len(word) == 1 and "\u4e00" <= word <= "\u9fff" and table.get(word, "")[:1] in ("n", "a")


def marked_names(words: Sequence[str]) -> list[str]:
    """The words a Chinese sentence marks as an organisation's name by what follows them
    (:data:`ORGANISATION_MARKERS`, possibly after 的 or 新: 小米员工, 京东的员工, 蔚来新员工), whatever
    jieba's dictionary calls them — 小米 is a grain there, 携程 and 滴滴 common words, 京东 a place. Only
    nouns of two characters or more (a verb or pronoun before 公司 is "来公司", "咱们公司"), and at the
    start of the sentence a run of single nouns or adjectives the dictionary could not join (美·团, 快·手:
    a name it does not know; not 我·在公司). Whether the knowledge base uses the word is the caller's to
    check (研发中心, 北京 are its own)."""
    table = tags()
    out = []
    for i, word in enumerate(words):
        j = i + 1
        while j < len(words) and words[j] in _LINKS:
            j += 1
        marker = words[j] if j < len(words) else ""
        if marker not in ORGANISATION_MARKERS or word in ORGANISATION_MARKERS:
            continue  # 公司的员工: the company itself
        tag = table.get(word, "")
        if len(word) >= 2 and tag.startswith("n") and (tag != "ns" or marker in PLACE_MARKERS):
            out.append(word)
        elif i >= 1 and all(_name_character(w, table) for w in words[: i + 1]):
            out.append("".join(words[: i + 1]))  # the sentence opens with characters jieba could not join
    return list(dict.fromkeys(out))


# -- other languages: what marks a proper name in each script -----------------------------------------

#: Languages of the ten whose orthography capitalises proper names but not common nouns (German
#: capitalises every noun, so a capital says nothing there).
CASED_NAMES = frozenset({"en", "fr", "it", "nl", "pt", "ru"})
#: IPADIC's proper-noun subtypes of persons and organisations (places are lang.places').
_JA_NAME_TYPES = frozenset({"人名", "組織"})
_CAPITALISED = re.compile(r"(?<![\w'’-])([A-ZÀ-ÖØ-ÞА-ЯЁ][a-zß-öø-ÿа-яё]+(?:[-'’][A-Za-zÀ-ÿА-яЁё]+)*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？:;]\s*|[\"“«]\s*)$")
_KATAKANA = re.compile(r"[\u30a1-\u30faー・]{2,}")
# what follows a company's or person's name in a Japanese question (a company, its staff, an honorific)
_JA_NAME_MARKER = re.compile(r"(?:社|さん|様|氏|グループ|の(?:社員|従業員|スタッフ))")
#: The longest piece (characters) of a katakana run read as a transliterated name (テン・セント).
SYLLABLE_PIECE = 3


def foreign_names(text: str, language: str) -> list[str]:
    """The proper names of persons or organisations a question in ``language`` (ISO 639-1) holds, read
    from what marks a name in that language, never from a list of names: in Japanese the dictionary's
    tags (IPADIC 固有名詞 人名/組織, as jieba's for Chinese) and a katakana word the dictionary can only
    read in pieces (テンセント → テン + セント: a transliterated name); in Korean Kiwi's proper-noun tag
    (NNP); in the cased languages whose common nouns are lower-case, a capitalised word that does not
    start a sentence ("Tencent's", "Huawei employees"), except a place after a preposition of place
    (:func:`lang.places.named_places`: "in Chengdu" is the city slot). Each once, in order. Whether the
    knowledge base uses the name is the caller's to check."""
    if language == "ja":
        return japanese_names(text)
    if language == "ko":
        return korean_names(text)
    if language in CASED_NAMES:
        return cased_names(text, language)
    return []


@functools.cache
def calendar_and_place_words(language: str) -> frozenset[str]:
    """Words a cased language capitalises that name no one: days, months, languages and countries
    (Unicode CLDR through Babel's locale data: "Monday", "Chinese", "Juillet" in a title)."""
    from babel import Locale

    loc = Locale.parse(language)
    words: set[str] = set()
    days, months = loc.days["format"], loc.months["format"]
    for table in (days["wide"], days["abbreviated"], months["wide"]):
        words.update(table.values())
    words.update(loc.languages.values())
    words.update(loc.territories.values())
    return frozenset(w.casefold() for w in words)


def cased_names(text: str, language: str = "en") -> list[str]:
    from lang.places import named_places

    places = {w for place in named_places(text) for w in place.split()}
    common = calendar_and_place_words(language)
    found = list(_CAPITALISED.finditer(text))
    out = []
    for i, m in enumerate(found):
        if _SENTENCE_START.search(text[: m.start()]):
            continue
        # a run of capitalised words is a title-cased term more often than a company ("Secure Shell",
        # "Spring Festival"): only a capital standing alone counts
        # (a sentence's first word is capitalised whatever it is: no neighbour)
        before = (
            found[i - 1].end() if i and not _SENTENCE_START.search(text[: found[i - 1].start()]) else None
        )
        after = found[i + 1].start() if i + 1 < len(found) else None
        if (before is not None and text[before : m.start()].isspace()) or (
            after is not None and text[m.end() : after].isspace()
        ):
            continue
        word = re.sub(r"['’]s$", "", m.group(1))
        if word not in places and len(word) >= 2 and word.casefold() not in common:
            out.append(word)
    return list(dict.fromkeys(out))


def japanese_names(text: str) -> list[str]:
    from lang.analysers import mecab_words

    words = mecab_words(text)
    # the dictionary's persons and organisations (it tags an unknown Latin word 組織 too: Latin script
    # is the cased rule's, not Japanese's, so only names in Japanese script)
    out = [
        surface
        for surface, feature in words
        if feature[1:2] == ("固有名詞",) and feature[2] in _JA_NAME_TYPES and not surface.isascii()
    ]
    # a katakana run the dictionary holds only in short pieces, syllables rather than words
    # (テン・セント, ファー・ウェイ): a transliterated name; a loanword it knows is one word (ホテル), a
    # compound of loanwords joins words of their own (コマンド・ライン, ディスク・イメージ)
    # — and only where the sentence marks it as a name (テンセント社員, トヨタさん): a compound of short
    # loanwords splits the same way (カード・キー, バス・カード) and is far more often what is asked about
    pieces = [surface for surface, _ in words]
    for m in _KATAKANA.finditer(text):
        run = m.group(0).strip("・")
        parts = [p for p in pieces if p in run and p != run]
        marked = _JA_NAME_MARKER.match(text, m.end()) is not None
        if run not in pieces and parts and marked and all(len(p) <= SYLLABLE_PIECE for p in parts):
            out.append(run)
    return [n for n in dict.fromkeys(out) if not any(n != o and n in o for o in out)]  # アリババ, not アリ


def korean_names(text: str) -> list[str]:
    from lang.analysers import kiwi_tags

    return list(dict.fromkeys(form for form, tag in kiwi_tags(text) if tag == "NNP" and len(form) >= 2))
