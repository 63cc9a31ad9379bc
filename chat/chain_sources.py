"""What an approval-chain answer cites: the process definition and the policy passages behind it.

"报销8000元谁审批" is answered from the process definition in the graph (:mod:`approvals.chain`); the
answer cites that definition (its steps and conditions) and the passages of the policies that require
the process — the approval authority matrix and the domain policy, where the thresholds (金额超过
5000元, 超过3天) are written — as far as the employee may read them.

Example::

    citations = chain_citations(store, search, chain, who)
"""

from __future__ import annotations

from approvals.chain import Chain
from chat.answer import Citation
from graph.base import GraphStore
from queries import load as load_query
from search.service import SearchService
from zhiku.access import Principal

#: Policy passages cited beside the definition (distinct documents, best first).
POLICY_PASSAGES = 2


def chain_citations(store: GraphStore, search: SearchService, chain: Chain, who: Principal) -> list[Citation]:
    """The process definition first, then the best passage of each policy document requiring it."""
    rows = store.query(load_query("process_sources").text, {"id": chain.process_id})
    if not rows:
        return []
    row = rows[0]
    steps = "；".join(
        f"{s.name}（{s.declared_mode or s.mode}" + (f"，{s.condition}）" if s.condition else "）")
        for s in chain.steps
    )
    definition = Citation(
        document_id=chain.process_id,
        title=f"审批流程定义：{chain.process_name}",
        uri="",
        section=row["project"] or "",
        snippet=((row["description"] or "") + " 步骤：" + steps)[:160],
        chunk_id="",
    )
    documents = set(row["documents"] or ())
    passages: list[Citation] = []
    if documents:
        # the passages about this process's approval and its thresholds, among what ``who`` may read
        result = search.search(f"{chain.process_name} 审批 权限 金额 天数 超过", who, k=20)
        seen: set[str] = set()
        for hit in result.hits:
            if hit.document_id in documents and hit.document_id not in seen:
                seen.add(hit.document_id)
                passages.append(
                    Citation(hit.document_id, hit.title, hit.link, hit.section, hit.snippet, hit.chunk_id)
                )
            if len(passages) == POLICY_PASSAGES:
                break
    return [definition, *passages]
