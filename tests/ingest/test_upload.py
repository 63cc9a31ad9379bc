"""Who may give an uploaded document which scope (:func:`ingest.upload.upload_scope`), the accepted
file types and the server-assigned URIs — pure functions, no database."""

from __future__ import annotations

import pytest

from ingest.upload import file_suffix, upload_scope, upload_uri
from zhiku.access import Principal
from zhiku.errors import InputError

KE = Principal("E1003", departments=("D-GMO", "ORG"), roles=("employee", "knowledge_engineer"), level=6)
ADMIN = Principal("E1001", departments=("D-GMO",), roles=("employee", "admin"), level=12)
DEPTS = {"D-GMO", "D-HR", "D-ADM"}
ROLES = {"employee", "hr", "knowledge_engineer"}


def scope(who: Principal, departments: list[str], roles: list[str], level: int):  # type: ignore[no-untyped-def]
    return upload_scope(
        who, departments=departments, roles=roles, level=level, known_departments=DEPTS, known_roles=ROLES
    )


def test_a_knowledge_engineer_may_restrict_a_document_to_a_scope_they_belong_to() -> None:
    made = scope(KE, ["D-GMO", "D-HR", "D-GMO"], ["hr"], 5)
    assert (made.departments, made.roles, made.level) == (("D-GMO", "D-HR"), ("hr",), 5)
    assert scope(KE, [], [], 0).departments == ()  # public


def test_a_scope_the_uploader_could_not_read_is_refused_unless_admin() -> None:
    with pytest.raises(InputError, match="could not read") as refused:
        scope(KE, ["D-HR"], [], 0)  # not their department
    assert "你无法查看" in refused.value.message_zh
    with pytest.raises(InputError, match="could not read"):
        scope(KE, [], [], 9)  # above their own level
    assert scope(ADMIN, ["D-HR"], [], 11).departments == ("D-HR",)


def test_unknown_departments_roles_and_levels_are_refused_by_name() -> None:
    with pytest.raises(InputError, match="D-NOPE"):
        scope(ADMIN, ["D-NOPE"], [], 0)
    with pytest.raises(InputError, match="admin"):
        scope(ADMIN, [], ["admin"], 0)
    with pytest.raises(InputError, match="between 0 and 99"):
        scope(ADMIN, [], [], 100)


def test_only_the_types_ingestion_reads_are_accepted() -> None:
    assert file_suffix("制度.MD") == ".md"
    assert file_suffix("C:\\docs\\表格.xlsx") == ".xlsx"
    for bad in ("virus.exe", "README", "", "a\x00.md", "x" * 300 + ".md"):
        with pytest.raises(InputError):
            file_suffix(bad)


def test_an_upload_uri_names_its_uploader_so_it_never_replaces_anothers_document() -> None:
    assert upload_uri(KE, "年假.md") == "upload://E1003/%E5%B9%B4%E5%81%87.md"
    assert upload_uri(KE, "../../etc/passwd.md") == "upload://E1003/passwd.md"
    other = Principal("E1010", roles=("knowledge_engineer",))
    assert upload_uri(KE, "a.md") != upload_uri(other, "a.md")
