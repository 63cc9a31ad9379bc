"""The clients are typed against the API's contract: every GraphQL operation the web console (web/) and
the mini-program (miniprogram/) send — the ``graphql(`…`)`` documents their codegen reads — is valid
against ``api/schema.graphql``. A schema change under either app fails here, in ``make test``, without
their npm packages (their own codegen checks run under ``make web`` and ``make miniprogram-test``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    NoUnusedFragmentsRule,
    build_schema,
    parse,
    specified_rules,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = re.compile(r"graphql\(\s*`(?P<text>[^`]*)`\s*\)")
APPS = ("web/src", "miniprogram/src")


def _documents(app: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / app).rglob("*.ts*")):
        if "/gql/" in path.as_posix():  # codegen's output
            continue
        text = path.read_text(encoding="utf-8")
        for m in DOCUMENT.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", m["text"]))
    return found


#: Fragments live in one file and are spread in another (codegen reads the app as one document set).
RULES = [rule for rule in specified_rules if rule is not NoUnusedFragmentsRule]


def _errors(schema_text: str, app: str) -> list[str]:
    schema = build_schema(schema_text)
    parsed = [(where, parse(text)) for where, text in _documents(app)]
    fragments = {
        d.name.value: d for _, doc in parsed for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
    }
    out = []
    for where, doc in parsed:
        own = {d.name.value for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        others = tuple(f for name, f in fragments.items() if name not in own)
        full = DocumentNode(definitions=(*doc.definitions, *others))
        errors: list[GraphQLError] = validate(schema, full, RULES)
        out += [f"{where}: {e.message}" for e in errors]
    return out


@pytest.mark.parametrize("app", APPS)
def test_every_operation_the_app_sends_is_valid_against_the_schema(app: str) -> None:
    documents = _documents(app)
    assert len(documents) >= 5, f"{app}: expected the app's GraphQL documents, found {len(documents)}"
    schema = (ROOT / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert _errors(schema, app) == []


def test_a_renamed_field_under_the_mini_program_is_caught() -> None:
    schema = (ROOT / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert "  myTickets(" in schema
    errors = _errors(schema.replace("  myTickets(", "  ownTickets("), "miniprogram/src")
    assert any("Cannot query field 'myTickets'" in e for e in errors), errors
