"""WeCom callback signatures and message encryption (企业微信回调加解密), on ``cryptography`` primitives.

The scheme, as WeCom specifies it:

* signature = SHA1 of the sorted concatenation of token, timestamp, nonce and the encrypted text;
* AES key = base64-decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16];
* plaintext = 16 random bytes + 4-byte big-endian message length + message + receive id (the corp id;
  empty for the intelligent robot), PKCS#7-padded to 32-byte blocks (not AES's 16).

Verified against WeCom's own published sample values in ``tests/wecom/test_crypto.py``.

Example::

    crypto = WeComCrypto(token, encoding_aes_key, corp_id)
    xml = crypto.decrypt_message(body, msg_signature, timestamp, nonce)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import struct
import time
from xml.etree.ElementTree import Element, SubElement, tostring

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeET

from zhiku.errors import ConfigError, InputError, ZhikuError

BLOCK = 32


class SignatureError(ZhikuError):
    """A callback whose signature, timestamp or receive id does not check out."""

    code = "WECOM_BAD_SIGNATURE"


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    # SHA-1 is what WeCom's protocol specifies for this signature (not our choice of hash)
    joined = "".join(sorted([token, timestamp, nonce, encrypted])).encode()
    return hashlib.sha1(joined, usedforsecurity=False).hexdigest()


def parse_xml(body: bytes | str) -> dict[str, str]:
    """A flat WeCom XML message as a dict (child tag → text); entity expansion and DTDs refused."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except Exception as exc:  # defusedxml raises several types (ParseError, DTDForbidden, EntitiesForbidden)
        raise InputError("XML 格式错误", f"malformed XML: {type(exc).__name__}") from None
    out: dict[str, str] = {}
    for child in root:
        out[child.tag] = (child.text or "").strip() if len(child) == 0 else ""
        if len(child):  # nested blocks (e.g. ApprovalInfo): keep their leaves flattened with a dot
            for leaf in child.iter():
                if leaf is not child and len(leaf) == 0:
                    out.setdefault(f"{child.tag}.{leaf.tag}", (leaf.text or "").strip())
    return out


def to_xml(fields: dict[str, str | int]) -> str:
    root = Element("xml")
    for key, value in fields.items():
        SubElement(root, key).text = str(value)
    return tostring(root, encoding="unicode")


class WeComCrypto:
    """Sign, verify, encrypt and decrypt for one app (token + EncodingAESKey + receive id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str, *, max_skew_s: int = 0) -> None:
        if len(encoding_aes_key) != 43:
            raise ConfigError(
                "EncodingAESKey 应为 43 个字符", "a WeCom EncodingAESKey has 43 characters",
                hint="在企业微信管理后台“接收消息”设置里复制",
            )  # fmt: skip
        try:
            self.key = base64.b64decode(encoding_aes_key + "=")
        except binascii.Error:
            raise ConfigError("EncodingAESKey 不是合法的 Base64", "EncodingAESKey is not base64") from None
        self.token = token
        self.receive_id = receive_id
        self.max_skew_s = max_skew_s  # 0: do not check timestamps (WeCom's samples are from 2014)

    # -- signatures -----------------------------------------------------------------------------

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise SignatureError("回调签名校验失败", "callback signature mismatch")
        if self.max_skew_s:
            try:
                skew = abs(time.time() - int(timestamp))
            except ValueError:
                raise SignatureError("回调时间戳无效", f"bad timestamp {timestamp!r}") from None
            if skew > self.max_skew_s:
                raise SignatureError("回调已过期（时间戳超出允许范围）", f"stale callback: {skew:.0f}s old")

    # -- AES ------------------------------------------------------------------------------------

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str, *, random16: bytes | None = None) -> str:
        body = message.encode()
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
            dec = self._cipher().decryptor()
            plain = dec.update(data) + dec.finalize()
        except (binascii.Error, ValueError):
            raise SignatureError("密文无法解密", "ciphertext does not decrypt") from None
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise SignatureError("密文填充错误", "bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise SignatureError("密文过短", "ciphertext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise SignatureError("密文长度字段错误", "bad length field")
        if receive_id.decode(errors="replace") != self.receive_id:
            raise SignatureError("回调的企业 ID 不匹配", "callback is for another corp id")
        return message.decode()

    # -- the two callback shapes ------------------------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): the decrypted echostr, to be returned as the bare response body."""
        self.verify(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, body: bytes | str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """A POSTed ``<xml><Encrypt>…</Encrypt></xml>`` body → the inner XML message."""
        encrypted = parse_xml(body).get("Encrypt", "")
        if not encrypted:
            raise InputError("回调缺少 Encrypt 字段", "callback body has no Encrypt element")
        self.verify(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def encrypt_message(self, xml: str, *, timestamp: str | None = None, nonce: str | None = None) -> str:
        """An encrypted, signed ``<xml>`` envelope (a passive reply, or what the fake server posts)."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        encrypted = self.encrypt(xml)
        return to_xml(
            {
                "Encrypt": encrypted,
                "MsgSignature": signature(self.token, timestamp, nonce, encrypted),
                "TimeStamp": timestamp,
                "Nonce": nonce,
            }
        )
