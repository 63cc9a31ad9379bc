"""A FAQ entry written by a knowledge engineer (the knowledge-gap page): the question, the other
wordings it is asked in, the answer and who may read it, ingested at once through the same path as an
uploaded FAQ sheet — a one-row CSV read by the FAQ loader (:mod:`ingest.loaders.faq`), stored as the
engineer's upload (:func:`ingest.upload.ingest_upload`: ``upload://EMPLOYEE/NAME``, scope checked by
:func:`ingest.upload.upload_scope`) and indexed before this returns.

Example::

    made = write_faq_entry("班车几点发车？", ["通勤车时间"], "7:30 从地铁站发车。", name="gap-1",
                           who=engineer, scope=scope, store=store, index=search, max_bytes=1 << 20)
    made.document_id   # the FAQ entry's document; asking the question again finds it
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from graph.base import GraphStore
from ingest.pipeline import IndexSync
from ingest.upload import Uploaded, ingest_upload
from zhiku.access import Principal
from zhiku.errors import InputError
from zhiku.settings import MAX_TEXT_CHARS
from zhiku.types import AccessScope

MAX_VARIANTS = 20


def faq_sheet(question: str, variants: Sequence[str], answer: str) -> bytes:
    """The entry as a one-row FAQ sheet; the other wordings are part of the question cell (the FAQ
    chunk then matches them as well as the question)."""
    question, answer = question.strip(), answer.strip()
    wordings = dict.fromkeys(v.strip() for v in variants)  # once each, in order
    others = [v for v in wordings if v and v != question][:MAX_VARIANTS]
    if not question or not answer:
        raise InputError("问题和答案都不能为空", "the question and the answer are both required")
    if (
        len(question) > MAX_TEXT_CHARS
        or len(answer) > MAX_TEXT_CHARS
        or sum(map(len, others)) > MAX_TEXT_CHARS
    ):
        raise InputError(f"内容过长（上限 {MAX_TEXT_CHARS} 字）", f"too long (limit {MAX_TEXT_CHARS})")
    cell = question + ("\n又问：" + "；".join(others) if others else "")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "answer"])
    writer.writerow([cell, answer])
    return out.getvalue().encode("utf-8")


def write_faq_entry(
    question: str,
    variants: Sequence[str],
    answer: str,
    *,
    name: str,
    who: Principal,
    scope: AccessScope,
    store: GraphStore,
    index: IndexSync | Callable[[], IndexSync] | None,
    max_bytes: int,
    **options: Any,
) -> Uploaded:
    """Store and index the entry as ``who``'s document ``NAME.csv``; ``options`` go to the pipeline."""
    data = faq_sheet(question, variants, answer)
    return ingest_upload(
        data,
        name=f"{name}.csv",
        who=who,
        scope=scope,
        store=store,
        index=index,
        max_bytes=max_bytes,
        **options,
    )
