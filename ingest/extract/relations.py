"""Relation extraction over linked mentions, one sentence at a time, for the ontology's relations.

- ``APPROVED_BY`` (ApprovalProcess → Position/ApproverRole): “单笔报销金额超过5000元的，需财务总监审批”
  gives the process (named in the sentence, or the one the chunk or document is about), the approver,
  the condition (``minAmount`` / ``minDays``) and the mode (会签 / 或签 / 依次).
- ``USES_FORM`` (ApprovalProcess → Form): “提交《请假申请单》（HR-F-001），走‘请假审批’流程”.
- ``REQUIRES_APPROVAL`` (Policy → ApprovalProcess): a policy document that sends you through a process.
- ``OWNED_BY`` (Policy → Department): “归口部门：财务部”, “本办法由人力资源部负责解释”.
- ``GOVERNS`` (Policy → LeaveType/Benefit/ITSystem): what a policy's title or headings name.

Each relation carries a confidence (higher when both ends are in the sentence) and its sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from zhiku.types import Chunk, ExtractedRelation, Mention

_SENTENCES = re.compile(r"[^。；！？\n]+[。；！？]?")
_APPROVE = re.compile(r"审批|审核|会签|或签|签批|批准|用印|盖章|加盖|确认|处理|同意|发放|备案")
_FORM_VERB = re.compile(r"提交|填写|填报|填|附")
_PROCESS_VERB = re.compile(r"流程|审批|申请")
_OWNER = re.compile(r"归口部门[：:]\s*|由(?=.{0,12}负责解释)|发布[：:]\s*")
_APPROVER_TYPES = {"Role"}


def _sentences(text: str) -> Iterable[tuple[int, str]]:
    for m in _SENTENCES.finditer(text):
        if m.group(0).strip():
            yield m.start(), m.group(0)


def _clauses(offset: int, sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_chain_step). An approval chain “A → B（超过5天）→ C” gives one step per arrow;
    otherwise the sentence splits at commas into clauses."""
    separator, is_step = ("→", True) if "→" in sentence else ("，", False)
    out, start = [], offset
    for part in sentence.split(separator):
        out.append((start, start + len(part), is_step))
        start += len(part) + 1
    return out


def _mode(clause: str, approvers: Sequence[Mention], text: str) -> str:
    if "会签" in clause or "均须同意" in clause or "全部" in clause:
        return "会签"
    if "或签" in clause or "任一" in clause:
        return "或签"
    if len(approvers) >= 2 and "或" in text[approvers[0].end : approvers[1].start]:
        return "或签"
    return "依次"


def _approvals(
    text: str, offset: int, sentence: str, inside: Sequence[Mention], values: Sequence[Mention]
) -> Iterable[tuple[str, dict[str, str | float]]]:
    """(approver id, {mode, minAmount, minDays}) for each approver the sentence names as approving.

    A condition applies to its own clause, and a conditional clause (“单笔超过5000元的，”) carries it
    to the next one.
    """
    carried: dict[str, str | float] = {}
    for start, end, is_step in _clauses(offset, sentence):
        clause = text[start:end]
        conditions: dict[str, str | float] = dict(carried)
        for value in values:
            if start <= value.start < end and value.qualifier == ">" and isinstance(value.value, int | float):
                conditions["minAmount" if value.type == "Amount" else "minDays"] = float(value.value)
        carried = conditions if clause.rstrip().endswith("的") else {}
        approvers = [
            m for m in inside if m.type in _APPROVER_TYPES and m.entity_id and start <= m.start < end
        ]
        if not approvers:
            continue
        mode = _mode(clause, approvers, text)
        for approver in approvers:
            # The approving verb must follow the approver or be part of its name (需财务总监审批,
            # 会计审核), so that “审批通过后，出纳付款” does not make the cashier an approver;
            # a step of an arrow chain needs no verb.
            after = text[approver.start : min(end, approver.end + 14)]
            listed = mode in ("会签", "或签")  # “HRBP、会计、系统管理员、行政主管四方会签”
            if is_step or listed or _APPROVE.search(after):
                assert approver.entity_id is not None
                yield approver.entity_id, {"mode": mode, **conditions}


def extract_relations(
    chunk: Chunk,
    mentions: Sequence[Mention],
    *,
    heading_mentions: Sequence[Mention] = (),
    policy_id: str | None = None,
    document_processes: Sequence[str] = (),
) -> list[ExtractedRelation]:
    """Relations found in one chunk. ``heading_mentions`` are linked mentions of its heading path."""
    linked = [m for m in mentions if m.entity_id and not m.entity_id.startswith("cand-")]
    context_processes = {m.entity_id for m in [*linked, *heading_mentions] if m.type == "ApprovalProcess"}
    if not context_processes and len(document_processes) == 1:
        context_processes = {document_processes[0]}
    default_process = next(iter(context_processes)) if len(context_processes) == 1 else None
    out: list[ExtractedRelation] = []

    for offset, sentence in _sentences(chunk.text):
        inside = [m for m in linked if offset <= m.start < offset + len(sentence)]
        values = [
            m
            for m in mentions
            if m.type in ("Amount", "Duration") and offset <= m.start < offset + len(sentence)
        ]
        processes = [m.entity_id for m in inside if m.type == "ApprovalProcess" and m.entity_id]
        process = processes[0] if processes else default_process
        confidence = 0.9 if processes else 0.75
        clean = sentence.strip()

        if process:
            for approver_id, properties in _approvals(chunk.text, offset, sentence, inside, values):
                out.append(
                    ExtractedRelation(
                        process, "APPROVED_BY", approver_id, chunk.id, clean, confidence, properties
                    )
                )

        if process and _FORM_VERB.search(sentence):
            for form in (m for m in inside if m.type == "Form" and m.entity_id):
                assert form.entity_id is not None
                out.append(
                    ExtractedRelation(process, "USES_FORM", form.entity_id, chunk.id, clean, confidence)
                )

        if policy_id and processes and _PROCESS_VERB.search(sentence):
            for pid in dict.fromkeys(processes):
                out.append(ExtractedRelation(policy_id, "REQUIRES_APPROVAL", pid, chunk.id, clean, 0.85))

        if policy_id and _OWNER.search(sentence):
            owner = next((m for m in inside if m.type == "Department" and m.entity_id), None)
            if owner is not None and owner.entity_id is not None:
                out.append(ExtractedRelation(policy_id, "OWNED_BY", owner.entity_id, chunk.id, clean, 0.95))

    if policy_id:
        for m in heading_mentions:
            if m.type in ("LeaveType", "Benefit", "ITSystem") and m.entity_id:
                out.append(ExtractedRelation(policy_id, "GOVERNS", m.entity_id, chunk.id, m.text, 0.8))
    # One relation per (start, type, end) per chunk: keep the most confident.
    best: dict[tuple[str, str, str], ExtractedRelation] = {}
    for rel in out:
        key = (rel.start, rel.type, rel.end)
        if key not in best or rel.confidence > best[key].confidence:
            best[key] = rel
    return list(best.values())
