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

The helpers (uniform weights, Tensor, vocab parsing) come from gen_models, which
calls bind() once gguf-py is imported.
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
    return {
        "tiny-gemma3": ("gemma3", gemma3),
        "tiny-qwen35": ("qwen35", qwen35),
        "tiny-mamba2": ("mamba2", mamba2),
        "tiny-gpt-oss": ("gpt-oss", gpt_oss),
        "tiny-mistral": ("llama", mistral),
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


# ---- gemma3: sliding-window attention ---------------------------------------

def gemma3(llama_src: Path, name: str) -> Callable[[Any], None]:
    v = Vocab(llama_src, "ggml-vocab-gemma-4.gguf")
    f = Family(llama_src, name, v, "google-gemma-4-31B-it.jinja", E=64, L=4, tied=True, embd_q="Q8_0")
    H, HKV, D, FF, WINDOW = 2, 1, 32, 128, 32
    # layers 0, 2 slide over the last WINDOW tokens; 1, 3 attend to everything
    pattern = [i % 2 == 0 for i in range(f.L)]

    def hparams(w: Any) -> None:
        w.add_context_length(32768)
        w.add_feed_forward_length(FF)
        w.add_head_count(H)
        w.add_head_count_kv(HKV)
        w.add_key_length(D)
        w.add_value_length(D)
        w.add_layer_norm_rms_eps(1e-6)
        w.add_rope_freq_base(1_000_000.0)
        w.add_rope_freq_base_swa(10_000.0)
        w.add_sliding_window(WINDOW)
        w.add_sliding_window_pattern(pattern)

    def blocks(i: int) -> Iterable[Any]:
        T = f.T
        yield f.ones(T.ATTN_NORM, i, f.E)
        yield from attention(f, i, H, HKV, D)
        yield f.ones(T.ATTN_POST_NORM, i, f.E)
        yield f.ones(T.FFN_NORM, i, f.E)
        yield from f.ffn(i, FF)
        yield f.ones(T.FFN_POST_NORM, i, f.E)

    return f.populate("Pendra Tiny Gemma3", hparams, blocks)


# ---- qwen35: hybrid attention + gated delta net ---------------------------

def qwen35(llama_src: Path, name: str) -> Callable[[Any], None]:
    v = Vocab(llama_src, "ggml-vocab-qwen35.gguf")
    v.overrides = {  # like a converted Qwen3.5 instruct model
        "tokenizer.ggml.eos_token_id": uint(151645),   # <|im_end|>
        "tokenizer.ggml.eot_token_id": uint(151645),
        "tokenizer.ggml.add_bos_token": flag(False),
    }
    f = Family(llama_src, name, v, "Qwen3.5-4B.jinja", E=64, L=4, tied=True, embd_q="Q8_0")
    H, HKV, D, FF = 2, 1, 32, 128
    # gated delta net: K heads (groups) x state, V heads x state
    D_STATE, N_K, N_V, D_CONV = 16, 2, 4, 4
    key_dim, value_dim = D_STATE * N_K, D_STATE * N_V
    conv_dim = 2 * key_dim + value_dim

    def hparams(w: Any) -> None:
        w.add_context_length(32768)
        w.add_feed_forward_length(FF)
        w.add_head_count(H)
        w.add_head_count_kv(HKV)
        w.add_key_length(D)
        w.add_value_length(D)
        w.add_layer_norm_rms_eps(1e-6)
        w.add_rope_freq_base(10_000_000.0)
        w.add_rope_dimension_count(D // 4)           # partial_rotary_factor 0.25
        w.add_rope_dimension_sections([2, 1, 1, 0])  # sums to n_rot / 2
        w.add_ssm_conv_kernel(D_CONV)
        w.add_ssm_state_size(D_STATE)
        w.add_ssm_group_count(N_K)
        w.add_ssm_time_step_rank(N_V)
        w.add_ssm_inner_size(value_dim)
        w.add_full_attention_interval(2)  # layers 1, 3 attention; 0, 2 recurrent

    def blocks(i: int) -> Iterable[Any]:
        T, E = f.T, f.E
        yield f.ones(T.ATTN_NORM, i, E)
        yield f.ones(T.ATTN_POST_NORM, i, E)
        if (i + 1) % 2 == 0:
            yield from attention(f, i, H, HKV, D, q_mult=2)  # query and its gate
        else:
            yield f.mat(T.ATTN_QKV, i, conv_dim, E)
            yield f.mat(T.ATTN_GATE, i, value_dim, E)
            yield G.Tensor(f.tn(T.SSM_CONV1D, i), f.rand(f.tn(T.SSM_CONV1D, i), (conv_dim, D_CONV), 0.3), "F32")
            yield G.Tensor(f.tn(T.SSM_DT, i, "bias"), f.rand(f.tn(T.SSM_DT, i, "bias"), (N_V,), 0.3), "F32")
            # -exp(A_log): negative, so the state decays
            yield G.Tensor(f.tn(T.SSM_A, i, None), f.rand(f.tn(T.SSM_A, i, None), (N_V,), 0.2, -1.0), "F32")
            yield f.mat(T.SSM_BETA, i, N_V, E)
            yield f.mat(T.SSM_ALPHA, i, N_V, E)
            yield f.ones(T.SSM_NORM, i, D_STATE)
            yield f.mat(T.SSM_OUT, i, E, value_dim)
        yield from f.ffn(i, FF)

    return f.populate("Pendra Tiny Qwen3.5", hparams, blocks)


# ---- mamba2: pure recurrent -------------------------------------------------

def mamba2(llama_src: Path, name: str) -> Callable[[Any], None]:
    v = Vocab(llama_src, "ggml-vocab-gpt-neox.gguf")
    # the file names no pre-tokenizer; GPT-NeoX's is GPT-2's byte-level split
    v.overrides = {"tokenizer.ggml.pre": (G.gguf.GGUFValueType.STRING, "gpt-2")}
    f = Family(llama_src, name, v, "llama-cpp-rwkv-world.jinja", E=64, L=3, tied=True)
    D_INNER, D_STATE, N_GROUP, HEAD_DIM, D_CONV = 128, 16, 1, 32, 4
    n_heads = D_INNER // HEAD_DIM
    conv_dim = D_INNER + 2 * N_GROUP * D_STATE
    d_in_proj = D_INNER + conv_dim + n_heads  # z, xBC, dt

    def hparams(w: Any) -> None:
        w.add_context_length(1 << 20)  # as the converter: no trained length
        w.add_feed_forward_length(0)
        w.add_head_count(0)
        w.add_ssm_conv_kernel(D_CONV)
        w.add_ssm_inner_size(D_INNER)
        w.add_ssm_state_size(D_STATE)
        w.add_ssm_time_step_rank(n_heads)
        w.add_ssm_group_count(N_GROUP)
        w.add_layer_norm_rms_eps(1e-5)

    def blocks(i: int) -> Iterable[Any]:
        T, E = f.T, f.E
        yield f.ones(T.ATTN_NORM, i, E)
        yield f.mat(T.SSM_IN, i, d_in_proj, E)
        yield G.Tensor(f.tn(T.SSM_CONV1D, i), f.rand(f.tn(T.SSM_CONV1D, i), (conv_dim, D_CONV), 0.3), "F32")
        yield G.Tensor(f.tn(T.SSM_CONV1D, i, "bias"), f.rand(f.tn(T.SSM_CONV1D, i, "bias"), (conv_dim,)), "F32")
        yield G.Tensor(f.tn(T.SSM_DT, i, "bias"), f.rand(f.tn(T.SSM_DT, i, "bias"), (n_heads,), 0.3), "F32")
        yield G.Tensor(f.tn(T.SSM_A, i, None), f.rand(f.tn(T.SSM_A, i, None), (n_heads, 1), 0.2, -1.0), "F32")
        yield G.Tensor(f.tn(T.SSM_D, i, None), np.ones((n_heads, 1), np.float32), "F32")
        yield G.Tensor(f.tn(T.SSM_NORM, i), np.ones((N_GROUP, D_INNER // N_GROUP), np.float32), "F32")
        yield f.mat(T.SSM_OUT, i, E, D_INNER)

    return f.populate("Pendra Tiny Mamba2", hparams, blocks)


# ---- gpt-oss: sliding window with attention sinks, mixture of experts -----

HARMONY_SPECIALS = ["<|startoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>",
                    "<|end|>", "<|message|>", "<|call|>"]


def gpt_oss(llama_src: Path, name: str) -> Callable[[Any], None]:
    gguf = G.gguf
    v = Vocab(llama_src, "ggml-vocab-llama-bpe.gguf")
    tokens = list(v.tokens)
    ids = {}
    for k, text in enumerate(HARMONY_SPECIALS):  # reserved CONTROL slots get harmony's names
        i = tokens.index(f"<|reserved_special_token_{k}|>".encode())
        tokens[i] = text.encode()
        ids[text] = i
    VT = gguf.GGUFValueType
    v.kvs["tokenizer.ggml.tokens"] = G.KV(VT.ARRAY, VT.STRING, tokens)
    v.overrides = {  # like a converted gpt-oss
        "tokenizer.ggml.bos_token_id": uint(ids["<|startoftext|>"]),
        "tokenizer.ggml.eos_token_id": uint(ids["<|return|>"]),
        "tokenizer.ggml.add_bos_token": flag(False),
        "tokenizer.ggml.add_eos_token": flag(False),
    }
    f = Family(llama_src, name, v, "openai-gpt-oss-120b.jinja", E=64, L=2, tied=False, embd_q="Q8_0")
    H, HKV, D, N_EXP, N_USED, FF_EXP, WINDOW = 4, 2, 16, 4, 2, 64, 32

    def hparams(w: Any) -> None:
        w.add_context_length(32768)
        w.add_feed_forward_length(FF_EXP)
        w.add_expert_feed_forward_length(FF_EXP)
        w.add_expert_count(N_EXP)
        w.add_expert_used_count(N_USED)
        w.add_head_count(H)
        w.add_head_count_kv(HKV)
        w.add_key_length(D)
        w.add_value_length(D)
        w.add_rope_dimension_count(D)
        w.add_rope_freq_base(150000.0)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_sliding_window(WINDOW)  # layer 0 slides, layer 1 attends to all (pattern 2)

    def bias(t: Any, i: int, n: int) -> Any:
        nm = f.tn(t, i, "bias")
        return G.Tensor(nm, f.rand(nm, (n,)), "F32")

    def experts(t: Any, i: int, shape: tuple[int, ...]) -> Any:
        nm = f.tn(t, i)
        return G.Tensor(nm, f.rand(nm, shape), "F16")

    def blocks(i: int) -> Iterable[Any]:
        T, E = f.T, f.E
        yield f.ones(T.ATTN_NORM, i, E)
        yield f.ones(T.ATTN_POST_NORM, i, E)
        for t, rows in ((T.ATTN_Q, H * D), (T.ATTN_K, HKV * D), (T.ATTN_V, HKV * D)):
            yield f.mat(t, i, rows, E)
            yield bias(t, i, rows)
        yield f.mat(T.ATTN_OUT, i, E, H * D)
        yield bias(T.ATTN_OUT, i, E)
        # one learned logit per head that soaks up attention mass
        yield G.Tensor(f.tn(T.ATTN_SINKS, i), f.rand(f.tn(T.ATTN_SINKS, i), (H,), 0.5), "F32")
        yield f.mat(T.FFN_GATE_INP, i, N_EXP, E, "F32")
        yield bias(T.FFN_GATE_INP, i, N_EXP)
        yield experts(T.FFN_GATE_EXP, i, (N_EXP, FF_EXP, E))
        yield experts(T.FFN_UP_EXP, i, (N_EXP, FF_EXP, E))
        yield experts(T.FFN_DOWN_EXP, i, (N_EXP, E, FF_EXP))
        for t, n in ((T.FFN_GATE_EXP, FF_EXP), (T.FFN_UP_EXP, FF_EXP), (T.FFN_DOWN_EXP, E)):
            nm = f.tn(t, i, "bias")
            yield G.Tensor(nm, f.rand(nm, (N_EXP, n)), "F32")

    return f.populate("Pendra Tiny gpt-oss", hparams, blocks)


# ---- Mistral-style: control tokens for tools and reasoning ------------------

# Mistral's v0.3+ specials, CONTROL in their vocabularies; the rest of the 768
# slots are [control_N] fillers as in Mistral 7B v0.3.
MISTRAL_SPECIALS = ["[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                    "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
                    "[THINK]", "[/THINK]", "[ARGS]", "[CALL_ID]", "[IMG]"]


def mistral(llama_src: Path, name: str) -> Callable[[Any], None]:
    gguf = G.gguf
    v = Vocab(llama_src, "ggml-vocab-llama-spm.gguf")
    extra = MISTRAL_SPECIALS + [f"[control_{k}]" for k in range(len(MISTRAL_SPECIALS), 768)]
    assert v.n + len(extra) == 32768, v.n + len(extra)
    VT = gguf.GGUFValueType
    tokens = list(v.tokens) + [t.encode() for t in extra]
    scores = list(v.kvs["tokenizer.ggml.scores"].value) + [0.0] * len(extra)
    types = list(v.kvs["tokenizer.ggml.token_type"].value) + [int(gguf.TokenType.CONTROL)] * len(extra)
    v.kvs["tokenizer.ggml.tokens"] = G.KV(VT.ARRAY, VT.STRING, tokens)
    v.kvs["tokenizer.ggml.scores"] = G.KV(VT.ARRAY, VT.FLOAT32, scores)
    v.kvs["tokenizer.ggml.token_type"] = G.KV(VT.ARRAY, VT.INT32, types)
    f = Family(llama_src, name, v, "mistralai-Ministral-3-14B-Reasoning-2512.jinja", E=64, L=2, tied=False)
    H, HKV, FF = 4, 2, 192
    D = f.E // H

    def hparams(w: Any) -> None:
        w.add_context_length(32768)
        w.add_feed_forward_length(FF)
        w.add_head_count(H)
        w.add_head_count_kv(HKV)
        w.add_rope_dimension_count(D)
        w.add_rope_freq_base(1_000_000.0)
        w.add_layer_norm_rms_eps(1e-5)

    def blocks(i: int) -> Iterable[Any]:
        T, E = f.T, f.E
        yield f.ones(T.ATTN_NORM, i, E)
        yield f.mat(T.ATTN_Q, i, H * D, E)
        yield f.mat(T.ATTN_K, i, HKV * D, E)
        yield f.mat(T.ATTN_V, i, HKV * D, E)
        yield f.mat(T.ATTN_OUT, i, E, H * D)
        yield f.ones(T.FFN_NORM, i, E)
        yield from f.ffn(i, FF)

    return f.populate("Pendra Tiny Mistral", hparams, blocks)
