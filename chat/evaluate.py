"""Conversation-level evaluation: scripted multi-turn dialogs (``chat/data/dialogs.txt``) replayed
against the dialog engine on the demo company; a dialog passes when every turn gets the expected
reply type and, where given, the expected text in the reply or its cited sources.

    zhiku demo load && python -m chat.evaluate
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chat.dialog import DialogEngine
from zhiku.access import load_principal

DIALOGS = Path(__file__).parent / "data" / "dialogs.txt"


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


def main() -> None:
    from graph import open_store
    from search.recommend import Recommender
    from search.service import SearchService
    from zhiku.settings import get_settings

    settings = get_settings()
    with open_store(settings) as store:
        service = SearchService.open(store, settings)
        engine = DialogEngine(store, service, Recommender(service))
        dialogs = load_dialogs()
        rate, failures = run(engine, dialogs)
        turns = sum(len(d) for d in dialogs)
        print(f"{len(dialogs)} dialogs ({turns} turns): pass rate {rate:.3f}")
        for failure in failures:
            print("  fail:", failure)
        store.execute("MATCH (t:Ticket)-[:RAISED_BY]->(:Employee {id: 'E1030'}) DETACH DELETE t")


if __name__ == "__main__":
    main()
