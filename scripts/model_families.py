"""Model-family test matrix for scripts/gen_models.py: one tiny random-weight
model per memory type llama.cpp has beyond the unified KV cache of llama.

  tiny-gemma3    gemma3: sliding-window attention (window 32) interleaved with
                 full attention, Gemma 4 tokenizer + Gemma 4 chat template
                 (the only Gemma vocabulary in LLAMA_SRC/models)
  tiny-qwen35    qwen35: hybrid memory, gated-delta-net recurrent layers and
                 full-attention layers, Qwen3.5 tokenizer + template
  tiny-mamba2    mamba2: pure recurrent memory, GPT-NeoX tokenizer (as the
                 state-spaces Mamba 2 models) + the plain-text RWKV World template
  tiny-gpt-oss   openai-moe (gpt-oss): sliding-window attention with attention
                 sinks, mixture of experts; the Llama 3 BPE vocabulary (no
                 o200k_harmony file in LLAMA_SRC/models) with harmony's specials
                 (<|start|>, <|channel|>, <|message|>, ...) in its reserved
                 CONTROL slots; gpt-oss chat template
  tiny-mistral   llama arch as Mistral / Magistral GGUFs are; Llama SPM vocabulary
                 extended, as Mistral v0.3 did, to 32768 tokens whose added
                 specials ([INST], [TOOL_CALLS], [THINK], [/THINK], ...) are
                 CONTROL tokens; Ministral 3 Reasoning chat template

Hyperparameter keys and tensor names/shapes follow LLAMA_SRC/src/models/<arch>.cpp
(load_arch_hparams / load_arch_tensors) and the converters in LLAMA_SRC/conversion
(norm weights stored with Gemma's +1 folded in, ssm_a = -exp(A_log) < 0).  Large
vocabularies get tied Q8_0 embeddings so each file stays a few MB; the output rows
(the embedding rows when tied) of control/unused/padding tokens are zero, so greedy
decoding never ends by itself, as for the other generated models.

This file holds the shared skeleton; the builders are in families_attention.py
and families_recurrent.py.  The helpers (uniform weights, Tensor, vocab parsing)
come from gen_models, which calls bind() once gguf-py is imported.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

G: Any = None  # the gen_models module


def bind(gen_models: Any) -> None:
    global G
    G = gen_models


# (architecture, builder) per model name; gen_models registers these.
def families() -> dict[str, tuple[str, Callable[[Path, str], Callable[[Any], None]]]]:
    import families_attention as att  # they import this module's skeleton
    import families_recurrent as rec
    return {
        "tiny-gemma3": ("gemma3", att.gemma3),
        "tiny-qwen35": ("qwen35", rec.qwen35),
        "tiny-mamba2": ("mamba2", rec.mamba2),
        "tiny-gpt-oss": ("gpt-oss", att.gpt_oss),
        "tiny-mistral": ("llama", att.mistral),
    }


STD = 0.08

# Texts llama.cpp's vocab loader promotes to control / end-of-generation by name
# (llama-vocab.cpp), whatever their token type says; greedy decoding must never
# pick them either, or a random reply could end early.
LLAMA_SPECIAL_TEXTS = {t.encode() for t in (
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "</s>", "<eos>", "<turn|>", "<|tool_response>", "<|eom_id|>",
    "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<|channel|>", "<end_of_utterance>",
    "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>",
    "<|file_sep|>", "<PAD>", "[PAD]")}


class Vocab:
    """Tokenizer KVs of a llama.cpp vocab file, possibly extended with tokens."""

    def __init__(self, llama_src: Path, file: str):
        self.kvs = G.load_vocab_kvs(llama_src / "models" / file)
        self.overrides: dict[str, tuple[Any, Any]] = {}

    @property
    def tokens(self) -> list[bytes]:
        return self.kvs["tokenizer.ggml.tokens"].value

    @property
    def n(self) -> int:
        return len(self.tokens)

    def silent_rows(self) -> np.ndarray:
        """Tokens greedy decoding must never pick: control, unused, [PADn]
        fillers and the texts llama.cpp treats as control."""
        TT = G.gguf.TokenType
        tt = np.asarray(self.kvs["tokenizer.ggml.token_type"].value)
        named = np.array([t.startswith(b"[PAD") or t in LLAMA_SPECIAL_TEXTS for t in self.tokens])
        return (tt == TT.CONTROL) | (tt == TT.UNUSED) | named

    def write(self, w: Any) -> None:
        G.add_tokenizer_from_vocab(w, self.kvs, skip=self.overrides)
        for key, (vt, val) in self.overrides.items():
            w.add_key_value(key, val, vt)


class Family:
    """Shared skeleton: metadata, embeddings, per-block tensors, output."""

    def __init__(self, llama_src: Path, name: str, vocab: Vocab, template: str, E: int, L: int,
                 tied: bool, embd_q: str = "F16"):
        self.name, self.vocab, self.E, self.L, self.tied, self.embd_q = name, vocab, E, L, tied, embd_q
        self.template = (llama_src / "models" / "templates" / template).read_text(encoding="utf-8")
        self.T, self.TN = G.gguf.MODEL_TENSOR, G.gguf.TENSOR_NAMES

    def tn(self, t: Any, i: int | None = None, suffix: str | None = "weight") -> str:
        base = self.TN[t].format(bid=i) if i is not None else self.TN[t]
        return base if suffix is None else f"{base}.{suffix}"

    def rand(self, name: str, shape: tuple[int, ...], std: float = STD, mean: float = 0.0) -> np.ndarray:
        return G.uniform(self.name, name, shape, std, mean)

    def mat(self, t: Any, i: int, rows: int, cols: int, q: str = "F16") -> Any:
        """A weight of llama.cpp shape {cols, rows} (numpy (rows, cols))."""
        n = self.tn(t, i)
        return G.Tensor(n, self.rand(n, (rows, cols)), q)

    def ones(self, t: Any, i: int | None, *shape: int) -> Any:
        return G.Tensor(self.tn(t, i), np.ones(shape, np.float32), "F32")

    def embeddings(self) -> Iterable[Any]:
        emb = self.rand("token_embd", (self.vocab.n, self.E))
        if self.tied:  # the same matrix is the output projection
            emb[self.vocab.silent_rows()] = 0.0
        yield G.Tensor(self.tn(self.T.TOKEN_EMBD), emb, self.embd_q)
        yield self.ones(self.T.OUTPUT_NORM, None, self.E)
        if not self.tied:
            out = self.rand("output", (self.vocab.n, self.E))
            out[self.vocab.silent_rows()] = 0.0
            yield G.Tensor(self.tn(self.T.OUTPUT), out, self.embd_q)

    def ffn(self, i: int, FF: int) -> Iterable[Any]:
        T, E = self.T, self.E
        yield self.mat(T.FFN_GATE, i, FF, E)
        yield self.mat(T.FFN_UP, i, FF, E)
        yield self.mat(T.FFN_DOWN, i, E, FF)

    def populate(self, general_name: str, hparams: Callable[[Any], None],
                 blocks: Callable[[int], Iterable[Any]]) -> Callable[[Any], None]:
        gguf = G.gguf

        def run(w: Any) -> None:
            w.add_name(general_name)
            w.add_license("mit")
            w.add_type("model")
            w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if self.embd_q == "Q8_0"
                            else gguf.LlamaFileType.MOSTLY_F16)
            w.add_quantization_version(gguf.GGML_QUANT_VERSION)
            w.add_vocab_size(self.vocab.n)
            w.add_embedding_length(self.E)
            w.add_block_count(self.L)
            hparams(w)
            self.vocab.write(w)
            w.add_chat_template(self.template)
            for t in self.embeddings():
                G.add_tensor(w, t)
            for i in range(self.L):
                for t in blocks(i):
                    G.add_tensor(w, t)
        return run


def uint(v: int) -> tuple[Any, int]:
    return (G.gguf.GGUFValueType.UINT32, v)


def flag(v: bool) -> tuple[Any, bool]:
    return (G.gguf.GGUFValueType.BOOL, v)


def attention(f: Family, i: int, H: int, HKV: int, D: int, q_mult: int = 1) -> Iterable[Any]:
    """Separate Q/K/V/O with per-head Q/K RMS norms (gemma3, qwen35)."""
    T, E = f.T, f.E
    yield f.mat(T.ATTN_Q, i, H * D * q_mult, E)
    yield f.mat(T.ATTN_K, i, HKV * D, E)
    yield f.mat(T.ATTN_V, i, HKV * D, E)
    yield f.mat(T.ATTN_OUT, i, E, H * D)
    yield f.ones(T.ATTN_Q_NORM, i, D)
    yield f.ones(T.ATTN_K_NORM, i, D)
