"""The language a GraphQL request is answered in (issue 19): an explicit ``language`` argument, else the
request's ``Accept-Language``, else the caller's profile, else the question's own language
(:func:`chat.language.reply_language`), else Chinese. Errors use what is known when they are converted:
the language the resolver settled on, else ``Accept-Language``, else Chinese."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry

from api.graphql.context import Context
from zhiku.access import Principal
from zhiku.i18n import DEFAULT, from_accept_language, normalise

LanguageArg = Annotated[
    str | None,
    strawberry.argument(
        description="回复语言（zh_Hans、zh_Hant、en、ja、ko、de、fr、it、nl、pt、ru，"
        "或 BCP 47 标签如 zh-TW）；"
        "不给则依次取 Accept-Language、员工资料、问题本身的语言 / reply language; default: Accept-Language, "
        "the employee's profile, the question's own language"
    ),
]


def accept_language(c: Context) -> str | None:
    headers = getattr(c.request, "headers", None)
    return from_accept_language(headers.get("accept-language")) if headers is not None else None


async def preferred_language(c: Context, who: Principal, explicit: str | None) -> str | None:
    """The caller's choice before the question is read: ``explicit`` as given (a tag outside the ten
    is answered in English with a note), else Accept-Language, else the profile; ``None``: none."""
    chosen = requested_language(c, explicit)
    if chosen is None:
        chosen = await asyncio.to_thread(with_profile, c, who, None)
    return chosen


def requested_language(c: Context, explicit: str | None) -> str | None:
    """:func:`preferred_language` as far as the request says (``explicit``, else Accept-Language), with
    no graph read; ``None``: the profile decides (:func:`with_profile`)."""
    if explicit and explicit.strip():
        c.language = normalise(explicit) or "en"
        return explicit.strip()
    chosen = accept_language(c)
    if chosen:
        c.language = chosen
    return chosen


def with_profile(c: Context, who: Principal, requested: str | None) -> str | None:
    """``requested`` (:func:`requested_language`), else the caller's profile language — a graph read
    once a minute per employee (:meth:`api.auth.PrincipalCache.language`), so in a worker thread
    (``ask`` does it in the thread that answers: one hand-off, not two)."""
    if requested is not None:
        return requested
    chosen = c.state.principals.language(who.id)
    if chosen:
        c.language = chosen
    return chosen


def error_language(context: Any) -> str:
    """The language of the errors in a response (``context``: the GraphQL context dict)."""
    c = context.get("zhiku") if isinstance(context, dict) else None
    if not isinstance(c, Context):
        return DEFAULT
    return c.language or accept_language(c) or DEFAULT
