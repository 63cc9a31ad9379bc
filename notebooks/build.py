"""Writes the three analysts' notebooks (so their source is reviewable Python, not JSON diffs):

    python notebooks/build.py

tests/test_notebooks.py executes each of them top to bottom with nbclient.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
SETUP = """%matplotlib inline
import matplotlib.pyplot as plt
import networkx as nx
from zhiku_nb import open_graph, q

store = open_graph()"""

NOTEBOOKS = {
    "01_ontology_and_graph_tour.ipynb": [
        "# 本体与图谱导览 / A tour of the ontology and the graph\n\n"
        "What the domain ontology defines, what the graph holds, how the company is organised, and what one "
        "entity's neighbourhood looks like. Every table comes from a named query in `queries/`.",
        SETUP,
        "from ontology.model import load_ontology\n\nonto = load_ontology()\n"
        "print(f'{len(onto.classes)} classes, {len(onto.rel_types)} relationship types')\n"
        "sorted(onto.classes)[:30]",
        "## 图谱里有什么 / What the graph holds",
        "labels = q(store, 'label_counts')\nlabels = labels[labels['label'] != 'Resource'].sort_values('count')\n"
        "labels.plot.barh(x='label', y='count', legend=False, figsize=(7, 6), title='Nodes by label')\nplt.show()\n"
        "labels.sort_values('count', ascending=False).head(10)",
        "q(store, 'relationship_counts').head(15)",
        "## 组织架构 / The organisation",
        "q(store, 'org_chart')",
        "q(store, 'reporting_line', id='E1031')",
        "## 枢纽实体与一个邻域 / Hubs and one neighbourhood",
        "q(store, 'hub_entities', limit=10)",
        "hood = q(store, 'neighborhood', id='PROC-EXPENSE', depth=1, types=[], limit=60)\nhood.head()",
        "rels = q(store, 'entity_relations', id='PROC-EXPENSE', limit=40)\n"
        "g = nx.DiGraph()\nfor _, r in rels.iterrows():\n"
        "    a, b = ('PROC-EXPENSE', r['id']) if r['direction'] == 'out' else (r['id'], 'PROC-EXPENSE')\n"
        "    g.add_edge(a, b, label=r['type'])\n"
        "plt.figure(figsize=(9, 7))\npos = nx.spring_layout(g, seed=7)\n"
        "nx.draw(g, pos, with_labels=True, node_size=900, font_size=7, node_color='#9ecae1')\n"
        "nx.draw_networkx_edge_labels(g, pos, edge_labels=nx.get_edge_attributes(g, 'label'), font_size=6)\n"
        "plt.title('PROC-EXPENSE and its relations')\nplt.show()",
    ],
    "02_knowledge_coverage_and_gaps.ipynb": [
        "# 知识覆盖与缺口 / Knowledge coverage and gaps\n\n"
        "Which documents feed the graph, which are stale or orphaned, which mentions still wait for review, "
        "which entities look duplicated, and what the bot could not answer.",
        SETUP,
        "## 文档 / Documents",
        "docs = store.query('MATCH (d:Document) RETURN d.format AS format, count(d) AS documents ORDER BY documents DESC')\n"
        "import pandas as pd\nformats = pd.DataFrame(docs)\n"
        "formats.plot.bar(x='format', y='documents', legend=False, title='Documents by format')\nplt.show()\nformats",
        "q(store, 'stale_documents', before='2026-01-01').head(10)",
        "q(store, 'orphan_documents')",
        "## 待审核与疑似重复 / Awaiting review, possible duplicates",
        "q(store, 'candidates_for_review').head(15)",
        "q(store, 'duplicate_candidates', limit=15)",
        "q(store, 'policies_without_owner')",
        "q(store, 'processes_without_forms')",
        "## 机器人答不了的问题 / What the bot could not answer\n\n"
        "Hand-off tickets and unhelpful answers (empty on a fresh demo until people use the chatbot).",
        "q(store, 'knowledge_gaps', limit=10)",
        "q(store, 'unhelpful_answers', limit=10)",
        "q(store, 'most_viewed_by_department', limit=10)",
    ],
    "03_approval_analytics.ipynb": [
        "# 审批分析 / Approval analytics\n\n"
        "Full approval chains, outcomes per process and where applications wait. A fresh demo has no "
        "applications, so the next cell simulates a reproducible week of them (only when there are none).",
        SETUP,
        "import random\nfrom approvals.engine import ApprovalEngine\nfrom zhiku.errors import ZhikuError\n\n"
        "engine = ApprovalEngine(store)\n"
        "if q(store, 'approval_outcomes').empty:\n"
        "    rng = random.Random(7)\n"
        "    applicants = [r['id'] for r in store.query('MATCH (e:Employee) RETURN e.id AS id ORDER BY id')]\n"
        "    for n in range(40):\n"
        "        process, amount, days = rng.choice([('费用报销', rng.choice([800, 6000, 25000]), None),\n"
        "                                             ('请假', None, rng.choice([1, 3, 5])),\n"
        "                                             ('采购申请', rng.choice([3000, 12000]), None)])\n"
        "        try:\n"
        "            inst = engine.submit(process, applicant=rng.choice(applicants), amount=amount, days=days,\n"
        "                                 reason='模拟', key=f'nb-{n}').instance\n"
        "        except ZhikuError:\n"
        "            continue\n"
        "        for _ in range(rng.randint(0, 3)):\n"
        "            if inst.status != 'pending' or not inst.pending:\n"
        "                break\n"
        "            kind = 'approve' if rng.random() < 0.85 else 'reject'\n"
        "            inst = engine.act(inst.id, kind, actor=inst.pending[0], comment='模拟', key=f'nb-{n}-{inst.step_index}').instance\n"
        "q(store, 'approval_outcomes')",
        "outcomes = q(store, 'approval_outcomes').set_index('id')[['approved', 'rejected', 'withdrawn', 'pending']]\n"
        "outcomes.plot.bar(stacked=True, figsize=(8, 4), title='Applications by process and outcome')\nplt.show()",
        "## 瓶颈 / Bottlenecks",
        "waiting = q(store, 'approval_bottlenecks', limit=10)\n"
        "if not waiting.empty:\n"
        "    waiting.plot.barh(x='id', y='waiting', legend=False, title='Pending applications per approver')\n"
        "    plt.show()\nwaiting",
        "## 完整审批链 / Full approval chains",
        "q(store, 'process_approvers', id='PROC-EXPENSE')",
        "q(store, 'process_approvers', id='PROC-LEAVE')",
    ],
}


def build() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [new_markdown_cell(c) if c.startswith("#") else new_code_cell(c) for c in cells]
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    build()
