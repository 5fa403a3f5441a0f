"""Attention families of the model matrix (see model_families.py): gemma3 and
gpt-oss (sliding window), and a Mistral-style llama with control tokens."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import model_families as mf


# ---- gemma3: sliding-window attention ---------------------------------------

def gemma3(llama_src: Path, name: str) -> Callable[[Any], None]:
    v = mf.Vocab(llama_src, "ggml-vocab-gemma-4.gguf")
    f = mf.Family(llama_src, name, v, "google-gemma-4-31B-it.jinja", E=64, L=4, tied=True, embd_q="Q8_0")
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
        yield from mf.attention(f, i, H, HKV, D)
        yield f.ones(T.ATTN_POST_NORM, i, f.E)
        yield f.ones(T.FFN_NORM, i, f.E)
        yield from f.ffn(i, FF)
        yield f.ones(T.FFN_POST_NORM, i, f.E)

    return f.populate("Pendra Tiny Gemma3", hparams, blocks)


# ---- gpt-oss: sliding window with attention sinks, mixture of experts -----

HARMONY_SPECIALS = ["<|startoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>",
                    "<|end|>", "<|message|>", "<|call|>"]


def gpt_oss(llama_src: Path, name: str) -> Callable[[Any], None]:
    gguf = mf.G.gguf
    v = mf.Vocab(llama_src, "ggml-vocab-llama-bpe.gguf")
    tokens = list(v.tokens)
    ids = {}
    for k, text in enumerate(HARMONY_SPECIALS):  # reserved CONTROL slots get harmony's names
        i = tokens.index(f"<|reserved_special_token_{k}|>".encode())
        tokens[i] = text.encode()
        ids[text] = i
    VT = gguf.GGUFValueType
    v.kvs["tokenizer.ggml.tokens"] = mf.G.KV(VT.ARRAY, VT.STRING, tokens)
    v.overrides = {  # like a converted gpt-oss
        "tokenizer.ggml.bos_token_id": mf.uint(ids["<|startoftext|>"]),
        "tokenizer.ggml.eos_token_id": mf.uint(ids["<|return|>"]),
        "tokenizer.ggml.add_bos_token": mf.flag(False),
        "tokenizer.ggml.add_eos_token": mf.flag(False),
    }
    f = mf.Family(llama_src, name, v, "openai-gpt-oss-120b.jinja", E=64, L=2, tied=False, embd_q="Q8_0")
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
        return mf.G.Tensor(nm, f.rand(nm, (n,)), "F32")

    def experts(t: Any, i: int, shape: tuple[int, ...]) -> Any:
        nm = f.tn(t, i)
        return mf.G.Tensor(nm, f.rand(nm, shape), "F16")

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
        yield mf.G.Tensor(f.tn(T.ATTN_SINKS, i), f.rand(f.tn(T.ATTN_SINKS, i), (H,), 0.5), "F32")
        yield f.mat(T.FFN_GATE_INP, i, N_EXP, E, "F32")
        yield bias(T.FFN_GATE_INP, i, N_EXP)
        yield experts(T.FFN_GATE_EXP, i, (N_EXP, FF_EXP, E))
        yield experts(T.FFN_UP_EXP, i, (N_EXP, FF_EXP, E))
        yield experts(T.FFN_DOWN_EXP, i, (N_EXP, E, FF_EXP))
        for t, n in ((T.FFN_GATE_EXP, FF_EXP), (T.FFN_UP_EXP, FF_EXP), (T.FFN_DOWN_EXP, E)):
            nm = f.tn(t, i, "bias")
            yield mf.G.Tensor(nm, f.rand(nm, (N_EXP, n)), "F32")

    return f.populate("Pendra Tiny gpt-oss", hparams, blocks)


# ---- Mistral-style: control tokens for tools and reasoning ------------------

# Mistral's v0.3+ specials, CONTROL in their vocabularies; the rest of the 768
# slots are [control_N] fillers as in Mistral 7B v0.3.
MISTRAL_SPECIALS = ["[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                    "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
                    "[THINK]", "[/THINK]", "[ARGS]", "[CALL_ID]", "[IMG]"]


def mistral(llama_src: Path, name: str) -> Callable[[Any], None]:
    gguf = mf.G.gguf
    v = mf.Vocab(llama_src, "ggml-vocab-llama-spm.gguf")
    extra = MISTRAL_SPECIALS + [f"[control_{k}]" for k in range(len(MISTRAL_SPECIALS), 768)]
    assert v.n + len(extra) == 32768, v.n + len(extra)
    VT = gguf.GGUFValueType
    tokens = list(v.tokens) + [t.encode() for t in extra]
    scores = list(v.kvs["tokenizer.ggml.scores"].value) + [0.0] * len(extra)
    types = list(v.kvs["tokenizer.ggml.token_type"].value) + [int(gguf.TokenType.CONTROL)] * len(extra)
    v.kvs["tokenizer.ggml.tokens"] = mf.G.KV(VT.ARRAY, VT.STRING, tokens)
    v.kvs["tokenizer.ggml.scores"] = mf.G.KV(VT.ARRAY, VT.FLOAT32, scores)
    v.kvs["tokenizer.ggml.token_type"] = mf.G.KV(VT.ARRAY, VT.INT32, types)
    f = mf.Family(llama_src, name, v, "mistralai-Ministral-3-14B-Reasoning-2512.jinja", E=64, L=2, tied=False)
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
