"""Chinese mention extraction: the ontology gazetteer (HanLP trie), domain rules (amounts,
durations, dates), and open-domain NER for names no dictionary holds — the character CRF we train
on MSRA (:mod:`ingest.extract.ner`, F1 0.852 on the MSRA test set vs. jieba's 0.585), or jieba's
person/organisation tags when no model is available.

Example::

    extractor = Extractor(Gazetteer.from_store(store))
    mentions = extractor.extract(chunk)      # unlinked candidates; ingest.link resolves them
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingest.extract.ner import NerModel
from lang.gazetteer import Gazetteer, GazetteerHit
from lang.text import jieba_tokenizer
from lang.values import find_values
from zhiku.types import Chunk, Mention

#: jieba POS tags used as open-domain NER: nr person, nt organisation.
_OPEN_TAGS = {"nr": "Person", "nt": "Organization"}
_OPEN_STOP = {"上级", "员工", "公司", "本人", "经理", "主管", "专员", "同事", "部门",
              "周一", "周二", "周三", "周四", "周五", "周六", "周日"}  # fmt: skip
#: jieba's nr tag alone is noisy on policy text (旷工, 司龄 come out as names): a person candidate
#: must start with a common surname and be 2–3 characters; an organisation must end like one.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_ORG_SUFFIX = (
    "公司",
    "银行",
    "集团",
    "大学",
    "学院",
    "医院",
    "办公厅",
    "委员会",
    "协会",
    "研究院",
    "事务所",
    "局",
)


def _plausible(word: str, kind: str) -> bool:
    if kind == "Person":
        return 2 <= len(word) <= 3 and word[0] in _SURNAMES
    return word.endswith(_ORG_SUFFIX) and len(word) >= 4


class Extractor:
    """Finds typed mentions in chunks. Gazetteer hits carry their candidate entities."""

    def __init__(self, gazetteer: Gazetteer, *, open_ner: bool = True, ner: NerModel | None = None) -> None:
        self.gazetteer = gazetteer
        self.open_ner = open_ner
        self.ner = ner
        self._posseg: Any = None

    def _tagger(self) -> Any:
        """A private jieba tokenizer with the gazetteer as its user dictionary (built on first use)."""
        if self._posseg is None:
            import jieba.posseg

            self._posseg = jieba.posseg.POSTokenizer(jieba_tokenizer(self.gazetteer.table))
        return self._posseg

    def extract(self, chunk: Chunk) -> tuple[list[Mention], dict[int, GazetteerHit]]:
        """Mentions in the chunk's text, plus the gazetteer hit behind each gazetteer mention (by index)."""
        text = chunk.text
        mentions: list[Mention] = []
        hits: dict[int, GazetteerHit] = {}
        for hit in self.gazetteer.find(text):
            hits[len(mentions)] = hit
            mentions.append(
                Mention(hit.surface, hit.candidates[0][1], hit.start, hit.end, chunk.id, "gazetteer")
            )
        taken = [(m.start, m.end) for m in mentions]
        for value in find_values(text, chunk.id):
            if not _overlaps(value.start, value.end, taken):
                mentions.append(value)
        if self.open_ner:
            mentions.extend(self._open_mentions(text, chunk.id, taken))
        return mentions, hits

    def _model_mentions(self, text: str, chunk_id: str, spans: list[tuple[int, int]]) -> list[Mention]:
        """Names the trained NER finds outside the gazetteer's matches."""
        assert self.ner is not None
        out = []
        for start, end, label in self.ner.find(text):
            kind = _MODEL_KINDS.get(label)
            word = text[start:end]
            if kind is None or len(word) < 2 or word in _OPEN_STOP or _overlaps(start, end, spans):
                continue
            if kind == "Person" and len(word) > 4:
                continue
            out.append(Mention(word, kind, start, end, chunk_id, "model", confidence=0.6))
        return out

    def _open_mentions(self, text: str, chunk_id: str, taken: Iterable[tuple[int, int]]) -> list[Mention]:
        spans = list(taken)
        if self.ner is not None:
            return self._model_mentions(text, chunk_id, spans)
        out = []
        position = 0
        for pair in self._tagger().cut(text):
            word, flag = pair.word, pair.flag
            start = text.find(word, position)
            if start < 0:
                continue
            position = start + len(word)
            kind = _OPEN_TAGS.get(flag)
            if kind is None or word in _OPEN_STOP or not _plausible(word, kind):
                continue
            if _overlaps(start, position, spans):
                continue
            out.append(Mention(word, kind, start, position, chunk_id, "jieba", confidence=0.5))
        return out


_MODEL_KINDS = {"PER": "Person", "ORG": "Organization", "LOC": "Location"}


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)
