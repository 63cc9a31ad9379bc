"""Attachment bytes in an S3-compatible store: :class:`S3Blobs` against a real S3 server on loopback
(moto's server mode — an HTTP server speaking the S3 protocol, run in a thread), through the MinIO
client, and the attachments service on top of it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from approvals.attachments import Attachments
from approvals.engine import ApprovalEngine
from approvals.s3_blobs import S3Blobs
from graph.falkordb_store import FalkorDBStore
from zhiku.access import Principal
from zhiku.errors import NotFoundError, StorageUnavailable
from zhiku.loopback import free_port
from zhiku.settings import Settings

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="module")
def s3() -> Iterator[Settings]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        settings = Settings(
            attachment_s3_bucket="zhiku-attachments",
            attachment_s3_endpoint=f"127.0.0.1:{port}",
            attachment_s3_access_key="testing",
            attachment_s3_secret_key="testing",  # moto's placeholder credentials
            attachment_s3_secure=False,
            attachment_s3_region="us-east-1",
        )
        S3Blobs.from_settings(settings).client.make_bucket("zhiku-attachments")
        yield settings
    finally:
        server.stop()


def test_bytes_go_to_the_bucket_once_by_content_and_come_back(s3: Settings) -> None:
    blobs = S3Blobs.from_settings(s3)
    digest = hashlib.sha256(PDF).hexdigest()
    blobs.put(digest, PDF)
    blobs.put(digest, PDF)  # already there: not written again
    assert blobs.get(digest) == PDF and blobs.local_path(digest) is None
    keys = [o.object_name for o in blobs.client.list_objects("zhiku-attachments", recursive=True)]
    assert keys == [f"attachments/sha256/{digest[:2]}/{digest}"]
    with pytest.raises(NotFoundError):
        blobs.get(hashlib.sha256(b"never stored").hexdigest())


def test_an_attachment_round_trips_through_the_bucket(s3: Settings, org: FalkorDBStore) -> None:
    files = Attachments(ApprovalEngine(org), S3Blobs.from_settings(s3))
    inst = files.engine.submit("PROC-EXPENSE", applicant="E1062", amount=800, reason="打车").instance
    a = files.attach(inst.id, actor="E1062", name="发票.pdf", data=PDF).attachment
    found, _ = files.find(a.id, Principal(inst.pending[0]))
    assert files.read(found) == PDF


def test_an_unreachable_store_is_a_retryable_error() -> None:
    import urllib3
    from minio import Minio

    nobody = Minio(f"127.0.0.1:{free_port()}", secure=False, http_client=urllib3.PoolManager(retries=False))
    with pytest.raises(StorageUnavailable) as down:
        S3Blobs(nobody, "zhiku-attachments").get(hashlib.sha256(PDF).hexdigest())
    assert down.value.retryable and down.value.code == "STORAGE_UNAVAILABLE"
