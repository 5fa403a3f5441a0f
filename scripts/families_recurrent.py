"""Recurrent families of the model matrix (see model_families.py): qwen35
(hybrid attention + gated delta net) and mamba2 (pure recurrent)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

import model_families as mf


# ---- qwen35: hybrid attention + gated delta net ---------------------------

def qwen35(llama_src: Path, name: str) -> Callable[[Any], None]:
    v = mf.Vocab(llama_src, "ggml-vocab-qwen35.gguf")
    v.overrides = {  # like a converted Qwen3.5 instruct model
        "tokenizer.ggml.eos_token_id": mf.uint(151645),   # <|im_end|>
        "tokenizer.ggml.eot_token_id": mf.uint(151645),
        "tokenizer.ggml.add_bos_token": mf.flag(False),
    }
    f = mf.Family(llama_src, name, v, "Qwen3.5-4B.jinja", E=64, L=4, tied=True, embd_q="Q8_0")
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
            yield from mf.attention(f, i, H, HKV, D, q_mult=2)  # query and its gate
        else:
            yield f.mat(T.ATTN_QKV, i, conv_dim, E)
            yield f.mat(T.ATTN_GATE, i, value_dim, E)
            yield mf.G.Tensor(f.tn(T.SSM_CONV1D, i), f.rand(f.tn(T.SSM_CONV1D, i), (conv_dim, D_CONV), 0.3), "F32")
            yield mf.G.Tensor(f.tn(T.SSM_DT, i, "bias"), f.rand(f.tn(T.SSM_DT, i, "bias"), (N_V,), 0.3), "F32")
            # -exp(A_log): negative, so the state decays
            yield mf.G.Tensor(f.tn(T.SSM_A, i, None), f.rand(f.tn(T.SSM_A, i, None), (N_V,), 0.2, -1.0), "F32")
            yield f.mat(T.SSM_BETA, i, N_V, E)
            yield f.mat(T.SSM_ALPHA, i, N_V, E)
            yield f.ones(T.SSM_NORM, i, D_STATE)
            yield f.mat(T.SSM_OUT, i, E, value_dim)
        yield from f.ffn(i, FF)

    return f.populate("Pendra Tiny Qwen3.5", hparams, blocks)


# ---- mamba2: pure recurrent -------------------------------------------------

def mamba2(llama_src: Path, name: str) -> Callable[[Any], None]:
    v = mf.Vocab(llama_src, "ggml-vocab-gpt-neox.gguf")
    # the file names no pre-tokenizer; GPT-NeoX's is GPT-2's byte-level split
    v.overrides = {"tokenizer.ggml.pre": (mf.G.gguf.GGUFValueType.STRING, "gpt-2")}
    f = mf.Family(llama_src, name, v, "llama-cpp-rwkv-world.jinja", E=64, L=3, tied=True)
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
        yield mf.G.Tensor(f.tn(T.SSM_CONV1D, i), f.rand(f.tn(T.SSM_CONV1D, i), (conv_dim, D_CONV), 0.3), "F32")
        yield mf.G.Tensor(f.tn(T.SSM_CONV1D, i, "bias"), f.rand(f.tn(T.SSM_CONV1D, i, "bias"), (conv_dim,)), "F32")
        yield mf.G.Tensor(f.tn(T.SSM_DT, i, "bias"), f.rand(f.tn(T.SSM_DT, i, "bias"), (n_heads,), 0.3), "F32")
        yield mf.G.Tensor(f.tn(T.SSM_A, i, None), f.rand(f.tn(T.SSM_A, i, None), (n_heads, 1), 0.2, -1.0), "F32")
        yield mf.G.Tensor(f.tn(T.SSM_D, i, None), np.ones((n_heads, 1), np.float32), "F32")
        yield mf.G.Tensor(f.tn(T.SSM_NORM, i), np.ones((N_GROUP, D_INNER // N_GROUP), np.float32), "F32")
        yield f.mat(T.SSM_OUT, i, E, D_INNER)

    return f.populate("Pendra Tiny Mamba2", hparams, blocks)
