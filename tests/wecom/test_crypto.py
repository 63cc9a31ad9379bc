"""WeCom's callback crypto checked against the sample values WeCom publishes in its developer docs
(加解密方案说明 / the WXBizMsgCrypt samples), not only against our own round trips."""

from __future__ import annotations

import pytest

from wecom.crypto import SignatureError, WeComCrypto, parse_xml, signature
from zhiku.errors import ConfigError, InputError

# WeCom's published sample configuration and requests
TOKEN = "QDG6eK"
CORP_ID = "wx5823bf96d3bd56c7"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
POST = {
    "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
    "timestamp": "1409659813",
    "nonce": "1372623149",
}
POST_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>"
    "<AgentID><![CDATA[218]]></AgentID></xml>"
)


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(TOKEN, AES_KEY, CORP_ID)


def test_url_verification_sample(crypto: WeComCrypto) -> None:
    assert crypto.verify_url(**VERIFY) == "1616140317555161061"


def test_message_sample(crypto: WeComCrypto) -> None:
    xml = crypto.decrypt_message(POST_BODY, **POST)
    msg = parse_xml(xml)
    assert msg["ToUserName"] == CORP_ID
    assert msg["MsgType"] == "text" and msg["Content"] == "hello"
    assert msg["FromUserName"] == "mycreate"


def test_round_trip_with_chinese_and_a_fixed_iv_block(crypto: WeComCrypto) -> None:
    text = "<xml><Content><![CDATA[年假怎么请？消息长度按字节计算]]></Content></xml>"
    envelope = crypto.encrypt_message(text, timestamp="1409659813", nonce="1372623149")
    fields = parse_xml(envelope)
    assert fields["MsgSignature"] == signature(TOKEN, "1409659813", "1372623149", fields["Encrypt"])
    assert crypto.decrypt_message(envelope, fields["MsgSignature"], "1409659813", "1372623149") == text
    # deterministic given the 16 random bytes: same input, same ciphertext
    assert crypto.encrypt("x", random16=b"a" * 16) == crypto.encrypt("x", random16=b"a" * 16)


@pytest.mark.parametrize(
    "change",
    [
        {"msg_signature": "0" * 40},
        {"timestamp": "1409659814"},
        {"nonce": "1"},
        {"echostr": VERIFY["echostr"][:-4] + "AAA="},
    ],
)
def test_forged_verification_is_refused(crypto: WeComCrypto, change: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        crypto.verify_url(**{**VERIFY, **change})


def test_wrong_corp_id_is_refused() -> None:
    other = WeComCrypto(TOKEN, AES_KEY, "ww-another-corp")
    with pytest.raises(SignatureError, match="corp id"):
        other.verify_url(**VERIFY)


def test_stale_timestamps_are_refused_when_checked() -> None:
    strict = WeComCrypto(TOKEN, AES_KEY, CORP_ID, max_skew_s=300)
    with pytest.raises(SignatureError, match="stale"):
        strict.verify_url(**VERIFY)  # the sample is from 2014


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Encrypt>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        "<xml><ToUserName>x</ToUserName></xml>",
    ],
)
def test_malformed_bodies_get_clear_errors(crypto: WeComCrypto, body: str) -> None:
    with pytest.raises(InputError):
        crypto.decrypt_message(body, **POST)


def test_bad_keys_are_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        WeComCrypto(TOKEN, "short", CORP_ID)
