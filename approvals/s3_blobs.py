"""Attachment bytes in an S3-compatible object store (MinIO, Ceph, a cloud's S3), through the MinIO
client — the :class:`approvals.attachments.BlobStore` for deployments whose API instances do not share
a disk. Keys mirror the local layout: ``<prefix>sha256/ab/<sha256>``. Switched on by
``ZHIKU_ATTACHMENT_S3_BUCKET`` (with ``..._ENDPOINT``, ``..._ACCESS_KEY``, ``..._SECRET_KEY``,
``..._SECURE``, ``..._REGION``); the bucket must exist. The client is the optional extra
``zhiku[s3]`` (``minio``).

Example::

    blobs = S3Blobs.from_settings(settings)
    blobs.put(digest, data)
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from urllib3.exceptions import HTTPError

from zhiku.errors import ConfigError, NotFoundError, StorageUnavailable
from zhiku.i18n import N_

if TYPE_CHECKING:
    from minio import Minio

    from zhiku.settings import Settings


class S3Blobs:
    """Blobs under ``bucket``/``prefix`` (see the module docstring)."""

    def __init__(self, client: Minio, bucket: str, prefix: str = "attachments/") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Blobs:
        try:
            from minio import Minio
        except ImportError:
            raise ConfigError(
                "已设置 ZHIKU_ATTACHMENT_S3_BUCKET，但没有安装 S3 客户端：请安装 zhiku[s3]",
                "ZHIKU_ATTACHMENT_S3_BUCKET is set but the S3 client is missing: pip install 'zhiku[s3]'",
            ) from None

        client = Minio(
            settings.attachment_s3_endpoint,
            access_key=settings.attachment_s3_access_key or None,
            secret_key=settings.attachment_s3_secret_key.get_secret_value() or None,
            secure=settings.attachment_s3_secure,
            region=settings.attachment_s3_region or None,
        )
        return cls(client, settings.attachment_s3_bucket)

    def _key(self, digest: str) -> str:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFoundError.localized(
                N_("没有这个附件：{id}"), f"not a SHA-256 digest: {digest}", id=digest
            )
        return f"{self.prefix}sha256/{digest[:2]}/{digest}"

    def put(self, digest: str, data: bytes) -> None:
        from minio.error import S3Error

        key = self._key(digest)
        try:
            self.client.stat_object(self.bucket, key)
            return  # content-addressed: already there
        except S3Error as exc:
            if exc.code not in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                raise _unavailable(exc) from None
        except HTTPError as exc:
            raise _unavailable(exc) from None
        try:
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))
        except (S3Error, HTTPError) as exc:
            raise _unavailable(exc) from None

    def get(self, digest: str) -> bytes:
        from minio.error import S3Error

        try:
            response = self.client.get_object(self.bucket, self._key(digest))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise NotFoundError.localized(
                    N_("附件文件已不在存储中：{id}"), f"attachment bytes {digest} are missing", id=digest
                ) from None
            raise _unavailable(exc) from None
        except HTTPError as exc:
            raise _unavailable(exc) from None
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def local_path(self, digest: str) -> Path | None:
        return None  # not on this machine: ingestion copies the bytes


def _unavailable(exc: Exception) -> StorageUnavailable:
    return StorageUnavailable.localized(
        N_("附件存储暂时不可用，请稍后再试"), f"the attachment store failed: {exc}"
    )
