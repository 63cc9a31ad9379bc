"""Video and audio through their subtitle or transcript files (SubRip ``.srt``, WebVTT ``.vtt``): every
cue is a paragraph located at its start time, ``t=83.5`` (seconds, the W3C Media Fragments form a
player seeks to: ``lecture.mp4#t=83.5``), so a chunk cites the moment it starts at.

Cue numbers, WebVTT headers, ``NOTE``/``STYLE``/``REGION`` blocks and inline tags (``<v 讲师>``,
``<i>``, ``{\\an8}``) are dropped; a speaker named by ``<v …>`` is kept as ``讲师：…``. Consecutive
cues repeating the same line (roll-up captions) are said once.

Example::

    parsed = load(Path("培训.srt").read_bytes())
    parsed.blocks[0]       # Block(kind='paragraph', text='欢迎参加新员工培训', anchor='t=1.5')
"""

from __future__ import annotations

import re

from ingest.loaders.base import Parsed, decode_text, normalise, reject
from zhiku.types import Block

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})")
_CUE_TIMING = re.compile(rf"^\s*({_TIME.pattern})\s*-->\s*({_TIME.pattern})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>|\{\\[^}]*\}")


def _seconds(stamp: str) -> float:
    m = _TIME.fullmatch(stamp.strip())
    if m is None:
        return 0.0
    hours, minutes, seconds, fraction = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _clean(line: str) -> str:
    voice = _VOICE.search(line)
    text = _TAG.sub("", _VOICE.sub("", line))
    text = normalise(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")).strip()
    return f"{voice.group(1).strip()}：{text}" if voice and text else text


def load(data: bytes) -> Parsed:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    last = ""
    for cue in re.split(r"\n\s*\n", text):
        lines = cue.strip("\n").split("\n")
        timing = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if timing is None:  # WEBVTT header, NOTE, STYLE, REGION, or junk between cues
            continue
        m = _CUE_TIMING.match(lines[timing])
        assert m is not None
        words = " ".join(t for t in (_clean(line) for line in lines[timing + 1 :]) if t)
        if not words or words == last:
            continue
        last = words
        start = f"{_seconds(m.group(1)):.3f}".rstrip("0").rstrip(".")
        blocks.append(Block("paragraph", words, anchor=f"t={start}"))
    if not blocks:
        raise reject("字幕文件中没有字幕条目", "no subtitle cues found")
    return Parsed(tuple(blocks))
