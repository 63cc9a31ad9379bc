"""Attachments on the real engine and the embedded graph (the demo's processes: 费用报销 takes invoices —
PDF, OFD, JPG, PNG up to 10 MB — and lets its approvers add files; 合同审批 takes PDF and DOCX): the type
is read from the bytes, executables are refused whatever they are called, the bytes are stored once by
content, nothing is stored on a refusal, who may attach, remove and read follows the application, and
every attach and removal is an audited action of the instance."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from approvals.attachments import AttachmentPolicy, Attachments, LocalBlobs, check, sniff
from approvals.engine import ApprovalEngine
from approvals.rules import InstanceClosed, NotAnApprover, attachments
from graph.falkordb_store import FalkorDBStore
from zhiku.access import Principal
from zhiku.errors import AttachmentRefused, AttachmentTooLarge, AttachmentTypeRefused, NotFoundError

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x40\x00\x00\x00PE\x00\x00"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 60
APPLICANT, STRANGER = "E1062", "E1030"  # 彭飞 (D-PLAT) and 朱红梅 (行政部), neither an admin


def ofd() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        z.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buf.getvalue()


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def files(org: FalkorDBStore, tmp_path: Path) -> Attachments:
    return Attachments(ApprovalEngine(org), LocalBlobs(tmp_path / "attachments"))


def expense(files: Attachments, amount: float = 800) -> str:
    return files.engine.submit(
        "PROC-EXPENSE", applicant=APPLICANT, amount=amount, reason="客户招待"
    ).instance.id


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (PDF, "发票.pdf", "pdf"),
        (PNG, "发票.pdf", "png"),  # the bytes decide, not the name
        (ofd(), "电子发票.ofd", "ofd"),
        ("报销说明：出租车费 86 元".encode(), "说明.txt", "txt"),
        ("日期,金额\n2026-03-02,86\n".encode("gb18030"), "明细.csv", "csv"),
        (PE, "发票.pdf", "exe"),
        (ELF, "invoice.png", "elf"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 40, "a.pdf", "macho"),
        (b"#!/bin/sh\nrm -rf ~\n", "说明.txt", "script"),
        (b"<html><script>alert(1)</script></html>", "说明.txt", "html"),
    ],
)
def test_the_type_is_read_from_the_bytes_not_the_name(data: bytes, name: str, kind: str) -> None:
    assert sniff(data, name).type == kind


def test_refusals_say_why_each_in_its_own_error() -> None:
    policy = AttachmentPolicy(max_bytes=1000, types=("pdf", "png"))
    with pytest.raises(AttachmentTypeRefused) as exe:
        check(PE, "发票.pdf", policy)
    assert exe.value.code == "ATTACHMENT_TYPE_REFUSED" and "程序或脚本" in exe.value.message_zh
    with pytest.raises(AttachmentTooLarge) as big:
        check(PDF + b" " * 2000, "发票.pdf", policy)
    assert "上限" in big.value.message_zh and big.value.message_en.startswith("attachment too large")
    with pytest.raises(AttachmentRefused) as empty:
        check(b"  \n", "空.pdf", policy)
    assert empty.value.code == "ATTACHMENT_REFUSED" and "为空" in empty.value.message_zh
    with pytest.raises(AttachmentTypeRefused) as other:
        check(ofd(), "发票.ofd", policy)
    assert "ofd" in other.value.message_zh and "pdf、png" in other.value.message_zh
    assert check(PNG, "发票.pdf", policy).mime == "image/png"


def test_an_attachment_is_stored_once_by_content_and_audited(files: Attachments, tmp_path: Path) -> None:
    inst = expense(files)
    first = files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PDF)
    assert first.result.applied and first.attachment.type == "pdf" and first.attachment.size == len(PDF)
    blob = tmp_path / "attachments" / "sha256" / first.attachment.sha256[:2] / first.attachment.sha256
    assert blob.read_bytes() == PDF
    again = files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PDF)  # a retried upload
    assert not again.result.applied and again.attachment.id == first.attachment.id
    copy = files.attach(inst, actor=APPLICANT, name="发票副本.pdf", data=PDF)  # same bytes, another name
    assert copy.result.applied and len(files_in(tmp_path / "attachments")) == 1
    current = files.engine.get(inst)
    assert [a.name for a in attachments(current)] == ["发票.pdf", "发票副本.pdf"]
    kinds = [a["kind"] for a in current.actions]
    assert kinds.count("attach") == 2 and current.status == "pending"
    assert current.pending == files.engine.get(inst).pending  # attaching moves nothing along


def test_nothing_is_stored_when_a_file_or_its_sender_is_refused(files: Attachments, tmp_path: Path) -> None:
    inst = expense(files)
    with pytest.raises(AttachmentTypeRefused):
        files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PE)
    with pytest.raises(AttachmentRefused):
        files.attach(inst, actor=APPLICANT, name="发票.pdf", data=b"")
    with pytest.raises(AttachmentTooLarge):
        files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PDF + b"0" * (10 * 1_048_576))
    with pytest.raises(NotAnApprover):
        files.attach(inst, actor=STRANGER, name="发票.pdf", data=PDF)
    with pytest.raises(NotFoundError):
        files.attach("AP-20260302-nosuchthing", actor=APPLICANT, name="发票.pdf", data=PDF)
    assert files_in(tmp_path / "attachments") == []
    assert not [a for a in files.engine.get(inst).actions if a["kind"] == "attach"]


def test_approvers_attach_where_the_process_allows_it_and_only_on_their_step(
    org: FalkorDBStore, tmp_path: Path
) -> None:
    files = Attachments(ApprovalEngine(org), LocalBlobs(tmp_path))
    inst = expense(files)
    approver = files.engine.get(inst).pending[0]
    added = files.attach(inst, actor=approver, name="核对说明.png", data=PNG)
    assert added.result.applied and added.attachment.step == files.engine.get(inst).current.name  # type: ignore[union-attr]
    contract = files.engine.submit(
        "PROC-CONTRACT", applicant=APPLICANT, amount=80000, reason="采购合同"
    ).instance
    with pytest.raises(NotAnApprover) as refused:  # 合同审批 does not let approvers attach
        files.attach(contract.id, actor=contract.pending[0], name="意见.pdf", data=PDF)
    assert "审批人不能添加附件" in refused.value.message_zh


def test_remove_by_who_attached_it_while_open_then_closed_keeps_them(files: Attachments) -> None:
    inst = expense(files)
    a = files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PDF).attachment
    b = files.attach(inst, actor=APPLICANT, name="行程单.png", data=PNG).attachment
    approver = files.engine.get(inst).pending[0]
    with pytest.raises(NotAnApprover):
        files.remove(a.id, actor=approver)
    assert files.remove(a.id, actor=APPLICANT).applied
    assert not files.remove(a.id, actor=APPLICANT).applied  # a repeated removal changes nothing
    current = files.engine.get(inst)
    assert [x.id for x in attachments(current)] == [b.id]
    assert [x["kind"] for x in current.actions].count("detach") == 1
    files.engine.act(inst, "withdraw", actor=APPLICANT)
    with pytest.raises(InstanceClosed):
        files.remove(b.id, actor=APPLICANT)
    with pytest.raises(InstanceClosed):
        files.attach(inst, actor=APPLICANT, name="补充.pdf", data=PDF + b"%more")


def test_reading_follows_the_applications_visibility(files: Attachments) -> None:
    inst = expense(files)
    a = files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PDF).attachment
    approver = files.engine.get(inst).pending[0]
    for who in (Principal(APPLICANT), Principal(approver), Principal("E1001", roles=("admin",))):
        found, _ = files.find(a.id, who)
        assert files.read(found) == PDF
    with pytest.raises(NotFoundError) as stranger:
        files.find(a.id, Principal(STRANGER))
    with pytest.raises(NotFoundError) as unknown:
        files.find("ACT-0000000000", Principal(APPLICANT))
    assert stranger.value.message_zh.startswith("没有这个附件") and unknown.value.code == stranger.value.code


def test_a_card_links_each_attachment_behind_sign_in(files: Attachments) -> None:
    from wecom.service import approval_card

    inst = expense(files)
    a = files.attach(inst, actor=APPLICANT, name="发票.pdf", data=PDF).attachment
    card = approval_card(files.engine.get(inst), "task-1", base_url="https://zhiku.example.com")
    links = [r for r in card["horizontal_content_list"] if r.get("type") == 1]
    url = f"https://zhiku.example.com/attachment/{a.id}"  # the console page: it signs in, then downloads
    assert links == [{"keyname": "附件", "value": "发票.pdf", "type": 1, "url": url}]
