"""Language identification on labelled text Zhiku did not write: accuracy per language and ms a call.

Texts, each labelled with its language by where it comes from:

* **questions**: every question of ``bench/data/multilingual/*.jsonl`` (LibreOffice Writer help in
  ten languages; Debian Reference questions in zh, en, ja, ko, ru, de) and of
  ``bench/data/answer_calibration_xlang.tsv`` (zh, en, ja), all splits;
* **chunks**: a seeded sample of the chunks (``ingest.chunking.chunk_document``, heading + text as
  :func:`ingest.chunking.with_languages` passes them) of the LibreOffice help pages of
  ``bench/multilingual.py`` in each of the ten languages (``apt-get download``, cached).

Detectors: **zhiku** is :func:`lang.detect.detect_language` as shipped (the script rule for CJK,
pinyin, then py3langid with confidence floors and decoy languages); **py3langid** and **lingua** are
the bare identifiers restricted to the ten, on the texts that reach the identifier (those CJK does
not carry); **zhiku rules + lingua** puts lingua (what Zhiku used before) inside the same rules.
lingua is measured only when installed (``pip install lingua-language-detector``; no longer a
dependency: 292 MB).

    python bench/lang_detect.py [--chunks 120] [--misses]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent / "data"
LANGS = ("zh", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru")
Sample = tuple[str, str, str]  # (kind, gold language, text)


def questions() -> list[Sample]:
    out: list[Sample] = []
    for path in sorted((DATA / "multilingual").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                for lang, text in json.loads(line)["questions"].items():
                    out.append(("question", lang, text))
    with (DATA / "answer_calibration_xlang.tsv").open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if r and not r[0].startswith("#")]
    for row in rows:
        out.extend(("question", lang, text) for lang, text in zip(("zh", "en", "ja"), row, strict=False))
    return out


def chunks(per_language: int, cache_dir: Path, seed: int = 19) -> list[Sample]:
    from bench.multilingual import DATA as GUIDE
    from bench.multilingual import PACKAGES, load_questions, pages
    from ingest.chunking import chunk_document
    from ingest.corpora import debian_package
    from ingest.loaders import load_file

    docs = pages(load_questions(GUIDE, "all"))
    out: list[Sample] = []
    for lang in LANGS:
        suffix, folder = PACKAGES[lang]
        root = debian_package(
            f"libreoffice-help-{suffix}", cache_dir / "corpora", f"usr/share/libreoffice/help/{folder}"
        )
        if root is None:
            print(f"{lang}: libreoffice-help-{suffix} unavailable, no chunks")
            continue
        texts = []
        for doc in docs:
            if (root / doc).exists():
                for c in chunk_document(load_file(root / doc)):
                    texts.append(" ".join([*c.heading_path[-1:], c.text]))
        random.Random(seed).shuffle(texts)
        out.extend(("chunk", lang, t) for t in texts[:per_language])
    return out


def py3langid_bare() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGS))
    return lambda text: str(identifier.classify(text)[0])


def _lingua() -> tuple[Any, Any] | None:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    names = ("CHINESE", "ENGLISH", "JAPANESE", "KOREAN", "GERMAN", "FRENCH", "ITALIAN", "DUTCH",
             "PORTUGUESE", "RUSSIAN")  # fmt: skip
    decoys = ("SPANISH", "CATALAN", "INDONESIAN", "MALAY", "VIETNAMESE", "TURKISH", "POLISH", "SWEDISH",
              "DANISH", "BOKMAL", "UKRAINIAN", "ARABIC", "HINDI", "THAI", "CZECH", "ROMANIAN", "GREEK",
              "HEBREW", "PERSIAN", "TAGALOG", "FINNISH", "HUNGARIAN")  # fmt: skip
    ten = [getattr(Language, n) for n in names]
    return (
        LanguageDetectorBuilder.from_languages(*ten).build(),
        LanguageDetectorBuilder.from_languages(*ten, *(getattr(Language, n) for n in decoys)).build(),
    )


def lingua_bare() -> Callable[[str], str] | None:
    detectors = _lingua()
    if detectors is None:
        return None
    ten = detectors[0]

    def detect(text: str) -> str:
        found = ten.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else "und"

    return detect


def zhiku_with_lingua() -> Callable[[str], str] | None:
    """lang.detect's rules with lingua in py3langid's place (lingua-language-detector 2.x, as Zhiku
    used it until py3langid replaced it)."""
    detectors = _lingua()
    if detectors is None:
        return None
    import lang.detect as d

    ten, wide = detectors

    def detect(text: str) -> str:
        text = (text or "").strip()
        by_script = d._by_script(text)
        if by_script is not None:
            return by_script.code
        if len(d._LETTER.findall(text)) < 3 or d.romanised_chinese(text):
            return "und"
        text = d._CJK.sub(" ", text)[:2000]
        t = ten.compute_language_confidence_values(text)
        w = wide.compute_language_confidence_values(text)
        name = t[0].language.iso_code_639_1.name.lower()
        top = w[0].language.iso_code_639_1.name.lower()
        if top not in LANGS and w[0].value >= d.MIN_OTHER_CONFIDENCE:
            return "und"
        conf = round(float(t[0].value), 3)
        if conf >= d.MIN_CONFIDENCE or (top == name and conf >= d.MIN_AGREED_CONFIDENCE):
            return name
        return "und"

    return detect


def reaches_identifier(text: str) -> bool:
    from lang.detect import _LETTER, _by_script

    text = (text or "").strip()
    return _by_script(text) is None and len(_LETTER.findall(text)) >= 3


def measure(name: str, detect: Callable[[str], str], samples: Sequence[Sample], misses: bool) -> None:
    for text in ("How many days of leave?", "婚假有几天", samples[0][2]):
        detect(text)  # load the models (and OpenCC) outside the timing
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    wrong: dict[str, list[str]] = defaultdict(list)
    started = time.process_time()
    for kind, gold, text in samples:
        got = detect(text)
        total[kind, gold] += 1
        if got == gold:
            right[kind, gold] += 1
        elif misses:
            wrong[name].append(f"  {kind} {gold}→{got}: {text[:80]!r}")
    cpu_ms = (time.process_time() - started) * 1000 / len(samples)
    cells = []
    for kind in ("question", "chunk"):
        n = sum(total[kind, g] for g in LANGS)
        if n:
            cells.append(f"{kind}s {sum(right[kind, g] for g in LANGS)}/{n}")
    print(f"| {name} | " + " | ".join(cells) + f" | {cpu_ms:.3f} ms |")
    for kind in ("question", "chunk"):
        row = [f"{right[kind, g]}/{total[kind, g]}" if total[kind, g] else "–" for g in LANGS]
        print(f"|   {kind}s | " + " | ".join(row) + " |")
    for line in wrong[name]:
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=120, help="chunks sampled per language")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("ZHIKU_BENCH_CACHE", Path.home() / ".cache" / "zhiku")),
    )
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args(argv)
    from bench.graph_load import machine

    print(f"machine: {machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    from lang.detect import detect_language

    samples = questions() + chunks(args.chunks, args.cache_dir)
    reach = [s for s in samples if reaches_identifier(s[2])]
    print(f"{len(samples)} texts ({len(reach)} reach the identifier; the rest CJK's script decides)")
    print("\nlanguages: " + " ".join(LANGS) + "; CPU ms a call (one text at a time)\n")
    print("End to end (every text):")
    measure("zhiku (py3langid)", lambda t: detect_language.__wrapped__(t).code, samples, args.misses)
    old = zhiku_with_lingua()
    if old is not None:
        measure("zhiku rules + lingua", old, samples, args.misses)
    print("\nBare identifiers restricted to the ten (texts that reach the identifier):")
    measure("py3langid", py3langid_bare(), reach, args.misses)
    bare = lingua_bare()
    if bare is not None:
        measure("lingua", bare, reach, args.misses)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
