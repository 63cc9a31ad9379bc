"""Optional: an OpenAI-compatible chat endpoint rewrites a composed answer more fluently, from the same
sources only. Off unless ``ZHIKU_LLM_BASE_URL`` is set (e.g. a vLLM, Ollama or Qwen deployment inside
the company: ``http://llm.intra:8000/v1``).

The rewrite may only change the wording, never what is said: the prompt gives the composed answer and
the cited snippets and asks for no new facts, and a rewrite that contains a number found neither in
the answer nor in its sources (an amount, a day count, a phone extension…) is discarded (numbers
written in Chinese characters are not checked). A timeout,
an error or an empty reply keeps the composed answer — the employee is never kept waiting on it
longer than ``ZHIKU_LLM_TIMEOUT_S``. Citations and confidence stay as composed.

Example::

    rewriter = AnswerRewriter.from_settings(settings)   # None when not configured
    answer = rewriter.rewrite(answer) if rewriter else answer
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Self

import httpx

from chat.answer import Answer
from zhiku.i18n import DEFAULT, current, language_name
from zhiku.settings import Settings

log = logging.getLogger(__name__)

SYSTEM = (
    "你是企业知识库的客服助手。请把“原答案”改写得通顺、简洁、礼貌，用简体中文回答员工的问题。"
    "只能使用“原答案”和“资料”中的信息：不得添加任何资料里没有的事实、数字、步骤或承诺；"
    "保留原答案末尾的来源说明；不要输出与问题无关的内容。"
)
#: The same job in another reply language (issue 19): the answer is translated, the quote kept as written.
SYSTEM_TRANSLATE = (
    "You are the assistant of a company knowledge base. Rewrite the 'original answer' fluently, briefly and "
    "politely in {language}. Use only what the original answer and the sources say: add no facts, numbers, "
    "steps or promises. Keep the quoted source text (between quotation marks) exactly as written, in its "
    "own language, and keep the source note."
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: A quoted source passage in Chinese or Japanese: a translation must keep the first one as written.
QUOTE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff，。；：、（）]{8,}")


class AnswerRewriter:
    def __init__(self, base_url: str, model: str, api_key: str = "", *, timeout_s: float = 3.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s, headers=headers)
        self.rewritten = 0
        self.kept = 0  # rewrites refused or failed: the composed answer went out

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        if not settings.llm_base_url:
            return None
        return cls(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key.get_secret_value(),
            timeout_s=settings.llm_timeout_s,
        )

    def close(self) -> None:
        self.http.close()

    def rewrite(self, answer: Answer) -> Answer:
        """The answer with more fluent wording, or unchanged (not answered, or the rewrite failed)."""
        if not answer.answered or not answer.citations:
            return answer
        sources = "\n".join(
            f"[{i}] 《{c.title}》{(' ' + c.section) if c.section else ''}：{c.snippet}"
            for i, c in enumerate(answer.citations, 1)
        )
        prompt = f"问题：{answer.question}\n\n原答案：{answer.text}\n\n资料：\n{sources}"
        language = current()
        system = (
            SYSTEM if language == DEFAULT else SYSTEM_TRANSLATE.format(language=language_name(language, "en"))
        )
        try:
            response = self.http.post(
                "/chat/completions",
                json={
                    "model": self.model,
                    "temperature": 0.2,
                    "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                },
            )
            response.raise_for_status()
            data: Any = response.json()
            text = str(data["choices"][0]["message"]["content"] or "").strip()
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("answer rewrite failed, sending the composed answer: %s", exc)
            self.kept += 1
            return answer
        allowed = set(NUMBER.findall(answer.text + prompt))
        invented = [n for n in NUMBER.findall(text) if n not in allowed]
        quote = QUOTE.search(answer.text) if language != DEFAULT else None
        lost_quote = quote is not None and quote.group(0) not in text
        if not text or invented or lost_quote or len(text) > 3 * len(answer.text) + 200:
            log.warning(
                "answer rewrite discarded (empty, too long, quote lost or new numbers %s)", invented[:5]
            )
            self.kept += 1
            return answer
        self.rewritten += 1
        return dataclasses.replace(answer, text=text)
