"""Conversation-level evaluation: scripted multi-turn dialogs (``tests/data/dialogs.txt``) replayed
against the dialog engine on the demo company; a dialog passes when every turn gets the expected
reply type and, where given, the expected text in the reply or its cited sources. Also slot F1 on
``tests/data/slots_eval.tsv`` — and per language (issue 19): held-out intent accuracy, dialogs and slot
F1 in English and Japanese (``*.en.*``, ``*.ja.*``), dialogs in German (retrieval only, no intent model).

    python bench/dialog_eval.py

It loads the demo into a temporary data directory of its own (the dialogs raise tickets and
submit applications): the configured store is never touched.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat.dialog import DialogEngine
from zhiku.access import load_principal

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
DIALOGS = DATA / "dialogs.txt"
SLOTS = DATA / "slots_eval.tsv"
#: Per language: (dialogs, slots) — a file that does not exist is a row left empty.
LANGUAGES = {
    "zh": (DIALOGS, SLOTS),
    "en": (DATA / "dialogs.en.txt", DATA / "slots_eval.en.tsv"),
    "ja": (DATA / "dialogs.ja.txt", DATA / "slots_eval.ja.tsv"),
    "de": (DATA / "dialogs.de.txt", DATA / "slots_eval.de.tsv"),
}


def load_slots(path: Path = SLOTS) -> list[tuple[str, dict[str, str | float]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, spec = line.split("\t", 1)
        gold: dict[str, str | float] = {}
        for pair in spec.split(";"):
            slot, value = pair.split("=", 1)
            gold[slot] = float(value) if slot in ("amount", "days") else value
        rows.append((text, gold))
    return rows


def slot_f1(engine: DialogEngine, rows: list[tuple[str, dict[str, str | float]]]) -> tuple[float, list[str]]:
    """Micro F1 over (slot, value) pairs; every predicted slot counts, so spurious ones cost precision."""
    tp = fp = fn = 0
    misses = []
    for text, gold in rows:
        got = engine.slots(text)
        pairs_gold = set(gold.items())
        pairs_got = set(got.items())
        tp += len(pairs_gold & pairs_got)
        fp += len(pairs_got - pairs_gold)
        fn += len(pairs_gold - pairs_got)
        if pairs_gold != pairs_got:
            misses.append(f"{text!r}: want {gold}, got {got}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return (2 * precision * recall / (precision + recall) if precision + recall else 0.0), misses


@dataclass(frozen=True, slots=True)
class Turn:
    message: str
    type: str
    expected: str


def load_dialogs(path: Path = DIALOGS) -> list[list[Turn]]:
    dialogs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        turns = []
        for part in line.split(" | "):
            message, _, expect = part.partition(" => ")
            kind, _, text = expect.strip().partition("~")
            turns.append(Turn(message.strip(), kind.strip(), text.strip()))
        dialogs.append(turns)
    return dialogs


def run(engine: DialogEngine, dialogs: list[list[Turn]], employee: str = "E1030") -> tuple[float, list[str]]:
    who = load_principal(engine.store, employee)
    failures = []
    for turns in dialogs:
        session = None
        for turn in turns:
            reply = engine.handle(session, who, turn.message)
            session = reply.session_id
            seen = " ".join([reply.text, *(c.title + " " + c.snippet for c in reply.citations)])
            if reply.type != turn.type or (turn.expected and turn.expected not in seen):
                failures.append(f"{turn.message!r}: got {reply.type} {reply.text[:60]!r}")
                break
    return 1 - len(failures) / max(len(dialogs), 1), failures


def per_language(engine: DialogEngine) -> list[str]:
    """One Markdown row per language: held-out intent accuracy, dialog pass rate, slot F1 (with the
    failures printed below the table)."""
    from chat.intents import per_language as intent_accuracy

    intents = {lang: (n, acc) for lang, _, n, acc, _ in intent_accuracy()}
    rows, notes = [], []
    for language, (dialog_path, slot_path) in LANGUAGES.items():
        cells = [language]
        n, acc = intents.get(language, (0, 0.0))
        cells.append(f"{acc:.3f} ({n})" if n else "– (retrieval only)")
        if dialog_path.exists():
            dialogs = load_dialogs(dialog_path)
            rate, failures = run(engine, dialogs)
            cells.append(f"{rate:.3f} ({len(dialogs)})")
            notes += [f"  {language} fail: {f}" for f in failures]
        else:
            cells.append("–")
        if slot_path.exists():
            slots = load_slots(slot_path)
            f1, misses = slot_f1(engine, slots)
            cells.append(f"{f1:.3f} ({len(slots)})")
            notes += [f"  {language} slot miss: {m}" for m in misses]
        else:
            cells.append("–")
        rows.append("| " + " | ".join(cells) + " |")
    return ["| language | held-out intent accuracy (n) | dialogs passed (n) | slot F1 (n) |",
            "|---|---|---|---|", *rows, *notes]  # fmt: skip


def main() -> None:
    from bench.harness import demo_company
    from graph import open_store
    from search.service import SearchService

    with demo_company() as settings, open_store(settings) as store:
        service = SearchService.open(store, settings)
        engine = DialogEngine(store, service)
        dialogs = load_dialogs()
        rate, failures = run(engine, dialogs)
        turns = sum(len(d) for d in dialogs)
        print(f"{len(dialogs)} dialogs ({turns} turns): pass rate {rate:.3f}")
        for failure in failures:
            print("  fail:", failure)
        f1, misses = slot_f1(engine, load_slots())
        print(f"slot F1 {f1:.3f} on {len(load_slots())} labelled utterances")
        for miss in misses:
            print("  slot miss:", miss)
        print()
        print("\n".join(per_language(engine)))
        service.close()


if __name__ == "__main__":
    main()
