"""Backups at rest: AES-256-GCM in chunks (``zhiku export --encrypt``), streamed both ways.

A file is a header and a sequence of chunks, each sealed on its own, so neither side ever holds more
than one chunk (1 MiB) of it in memory::

    header  = b"ZKBK" | version (1 byte) | chunk size (u32) | key id (8 bytes) | nonce prefix (7 bytes)
    chunk i = AES-256-GCM(key, nonce = prefix | i (u32) | last (1 byte), aad = header | file name)

The nonce prefix is random per file and every chunk's counter is in its nonce, so no nonce repeats
under one key; the header and the file's name within the backup are authenticated with every chunk
(a header edited, or ``search/a.enc`` swapped for ``search/b.enc``, fails); the last chunk carries
its flag, so a file cut at a chunk boundary fails as surely as an edited byte does (the "STREAM"
construction of Hoang, Reyhanitabar, Rogaway and Vizár). The key id — eight bytes of an HMAC of a
constant under the key — tells a *wrong key* apart from a *damaged file* before anything is
decrypted; it reveals nothing about a random 256-bit key.

The key is 32 random bytes the operator holds (``openssl rand -base64 32 > backup.key``), given as a
file (``--key-file``, ``ZHIKU_BACKUP_KEY_FILE``) or in ``ZHIKU_BACKUP_KEY``: raw, base64 or hex.

Example::

    key = load_key(Path("backup.key"))
    with EncryptingWriter(open("graph.jsonl.enc", "wb"), key, "graph.jsonl") as out:
        out.write(b"...")
    with DecryptingReader(open("graph.jsonl.enc", "rb"), key, "graph.jsonl") as src:
        data = src.read()
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import io
import os
import struct
from collections.abc import Buffer
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zhiku.errors import ConfigError, InputError

MAGIC = b"ZKBK"
VERSION = 1
CHUNK_BYTES = 1 << 20
KEY_BYTES = 32
TAG_BYTES = 16
_HEADER = struct.Struct(">4sBI8s7s")  # magic, version, chunk size, key id, nonce prefix
HEADER_BYTES = _HEADER.size
#: Every chunk's counter must fit its four nonce bytes: 2^32 MiB chunks, far beyond any backup.
_MAX_CHUNKS = 1 << 32
SUFFIX = ".enc"


def key_id(key: bytes) -> bytes:
    """Eight bytes naming ``key`` (not revealing it): stored in every header."""
    return hmac.new(key, b"zhiku-backup-key-id", hashlib.sha256).digest()[:8]


def parse_key(text: bytes, where: str) -> bytes:
    """A 32-byte key from raw bytes, base64 or hex (``where`` names its source in errors)."""
    if len(text) == KEY_BYTES:
        return text
    stripped = text.strip()
    candidates: list[bytes] = []
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(stripped, validate=True))
    with contextlib.suppress(UnicodeDecodeError, ValueError):
        candidates.append(bytes.fromhex(stripped.decode("ascii")))
    for key in candidates:
        if len(key) == KEY_BYTES:
            return key
    raise ConfigError(
        f"备份密钥无效（{where}）：需要 32 字节的随机密钥（原始字节、base64 或十六进制）",
        f"invalid backup key ({where}): it must be 32 random bytes (raw, base64 or hex)",
        hint="生成一个 / make one: openssl rand -base64 32 > backup.key && chmod 600 backup.key",
    )


def load_key(path: Path | None, env_value: str = "") -> bytes:
    """The key from ``path`` (preferred) or from ``env_value`` (``ZHIKU_BACKUP_KEY``)."""
    if path is not None:
        try:
            return parse_key(path.read_bytes(), str(path))
        except OSError as exc:
            raise ConfigError(
                f"无法读取备份密钥文件：{path}（{exc.strerror}）",
                f"cannot read the backup key file {path}: {exc.strerror}",
            ) from None
    if env_value:
        return parse_key(env_value.encode("utf-8"), "ZHIKU_BACKUP_KEY")
    raise ConfigError(
        "需要备份密钥：用 --key-file 指定，或设置 ZHIKU_BACKUP_KEY_FILE / ZHIKU_BACKUP_KEY",
        "a backup key is needed: pass --key-file, or set ZHIKU_BACKUP_KEY_FILE or ZHIKU_BACKUP_KEY",
        hint="生成一个 / make one: openssl rand -base64 32 > backup.key && chmod 600 backup.key",
    )


def wrong_key(name: str) -> InputError:
    return InputError(
        f"备份密钥不对：{name} 是用另一个密钥加密的；未写入任何内容",
        f"wrong backup key: {name} was encrypted with another key; nothing was written",
        hint="用导出时的密钥重试 / retry with the key the export used",
    )


def tampered(name: str) -> InputError:
    return InputError(
        f"备份文件已被篡改或损坏：{name} 未通过完整性校验；未写入任何内容",
        f"backup file tampered with or damaged: {name} failed authentication; nothing was written",
        hint="从另一份备份恢复 / restore from another copy of the backup",
    )


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


class EncryptingWriter(io.RawIOBase):
    """A binary file-like that seals what is written to ``sink`` chunk by chunk; ``close`` (or the
    ``with`` block's end) writes the last chunk and closes ``sink``. ``name`` is the file's path
    within the backup, bound to every chunk."""

    def __init__(self, sink: BinaryIO, key: bytes, name: str, *, chunk_bytes: int = CHUNK_BYTES) -> None:
        super().__init__()
        self._sink = sink
        self._aead = AESGCM(key)
        self._chunk = chunk_bytes
        self._header = _HEADER.pack(MAGIC, VERSION, chunk_bytes, key_id(key), os.urandom(7))
        self._aad = self._header + name.encode("utf-8")
        self._prefix = self._header[-7:]
        self._buffer = bytearray()
        self._counter = 0
        sink.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        view = memoryview(data)
        self._buffer += view
        # Keep at least one byte back: the last chunk is sealed as last only at close.
        while len(self._buffer) > self._chunk:
            self._seal(bytes(self._buffer[: self._chunk]), last=False)
            del self._buffer[: self._chunk]
        return len(view)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        if self._counter >= _MAX_CHUNKS:
            raise InputError("备份文件过大", "backup file too large for one key and nonce prefix")
        nonce = _nonce(self._prefix, self._counter, last)
        self._sink.write(self._aead.encrypt(nonce, plain, self._aad))
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._sink.close()
        super().close()


class DecryptingReader(io.RawIOBase):
    """A binary file-like that opens what :class:`EncryptingWriter` sealed, one chunk at a time. A
    wrong key, an edited, reordered or truncated file raises :class:`InputError` (bilingual) on the
    read that reaches it — read to the end to have checked all of it (:func:`verify`)."""

    def __init__(self, source: BinaryIO, key: bytes, name: str) -> None:
        super().__init__()
        self._source = source
        self._name = name
        header = source.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES:
            source.close()
            raise tampered(name)
        magic, version, chunk, kid, prefix = _HEADER.unpack(header)
        if magic != MAGIC or version != VERSION or not 0 < chunk <= 64 * CHUNK_BYTES:
            source.close()
            raise InputError(
                f"不是知库加密备份文件，或格式版本不受支持：{name}",
                f"not a Zhiku encrypted backup file, or an unsupported format version: {name}",
            )
        if not hmac.compare_digest(kid, key_id(key)):
            source.close()
            raise wrong_key(name)
        self._aead = AESGCM(key)
        self._aad = header + name.encode("utf-8")
        self._prefix = prefix
        self._sealed_bytes = chunk + TAG_BYTES
        self._next = source.read(self._sealed_bytes)
        self._counter = 0
        self._plain = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _open_next(self) -> None:
        current = self._next
        if not current:  # the chunk flagged last never came: cut short
            raise tampered(self._name)
        self._next = self._source.read(self._sealed_bytes)
        last = not self._next
        try:
            self._plain = self._aead.decrypt(_nonce(self._prefix, self._counter, last), current, self._aad)
        except InvalidTag:
            raise tampered(self._name) from None
        self._offset = 0
        self._counter += 1
        self._done = last

    def readinto(self, buffer: Buffer) -> int:
        target = memoryview(buffer).cast("B")
        while self._offset >= len(self._plain):
            if self._done:
                return 0
            self._open_next()
        n = min(len(target), len(self._plain) - self._offset)
        target[:n] = self._plain[self._offset : self._offset + n]
        self._offset += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def encrypt_file(source: Path, target: Path, key: bytes, name: str) -> None:
    """Seal ``source`` into ``target`` in chunks (never the whole file in memory)."""
    with source.open("rb") as src, EncryptingWriter(target.open("wb"), key, name) as out:
        for block in iter(lambda: src.read(CHUNK_BYTES), b""):
            out.write(block)


def verify(path: Path, key: bytes, name: str) -> str:
    """Read all of an encrypted file, checking every chunk; returns the plaintext's SHA-256."""
    digest = hashlib.sha256()
    with DecryptingReader(path.open("rb"), key, name) as src:
        for block in iter(lambda: src.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def decrypt_file(source: Path, target: Path, key: bytes, name: str) -> None:
    """Open ``source`` into ``target`` in chunks."""
    with DecryptingReader(source.open("rb"), key, name) as src, target.open("wb") as out:
        for block in iter(lambda: src.read(CHUNK_BYTES), b""):
            out.write(block)
