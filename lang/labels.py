"""An entity's name in a reply's language, from the labels the graph keeps for it.

The ontology's SKOS labels land on a node as ``name`` (Chinese), ``nameEn`` (English) and, for the
other languages, ``labelsI18n`` entries ``"<tag>=<label>"`` (:mod:`ontology.mapping`); a knowledge base
names a process in Japanese with ``labels: {ja: [経費精算申請, …]}`` in ``processes.yaml``, the first
being its preferred name. The gazetteer reads all of them to *find* an entity in a question; this picks
the one to *say* in a reply.

Example::

    label_in({"name": "费用报销", "nameEn": "Expense reimbursement",
              "labelsI18n": ["ja=経費精算申請"]}, "ja")   # '経費精算申請'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def language_code(language: str) -> str:
    """``zh_Hans``, ``zh-TW``, ``en_US`` → ``zh``, ``zh``, ``en`` (the label tags' language part)."""
    return language.replace("_", "-").split("-")[0].lower()


def label_in(props: Mapping[str, Any], language: str) -> str | None:
    """The node's preferred name in ``language`` (a Zhiku or BCP 47 code): ``name`` for Chinese,
    ``nameEn`` for English, else the first ``labelsI18n`` entry tagged with that language (a regional
    tag counts for its language); ``None`` when the data has none."""
    code = language_code(language)
    if code == "zh":
        return str(props["name"]) if props.get("name") else None
    if code == "en" and props.get("nameEn"):
        return str(props["nameEn"])
    for entry in props.get("labelsI18n") or ():
        tag, _, label = str(entry).partition("=")
        if label and language_code(tag) == code:
            return label
    return None
