"""The `spec-edit` scenario: an editor's request, a 300-line source file in the
prompt and the instruction to write it back with one change. Most of the
answer is text the prompt already holds, which is where n-gram drafting
(prompt lookup) pays: it reports single-stream decode tok/s with and without
drafts.

Run by run_bench.py on the parity model (a real instruct model: random
weights would not copy anything), one stream at a time, greedy."""

from __future__ import annotations

from typing import Any

from loadgen import Client

# Pendra's drafting and llama-server's closest equivalent, with the same
# lookup n-gram and draft length (Pendra: n-grams 4..2, up to 8 drafts).
PENDRA_SPECULATIVE = {"type": "ngram", "ngram_max": 4, "ngram_min": 2, "draft_max": 8}
LLAMA_SPEC_FLAGS = ["--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", "4",
                    "--spec-ngram-simple-size-m", "8"]


def source_file(lines: int = 300) -> str:
    """A deterministic Python module of `lines` lines."""
    out: list[str] = ['"""Geometry helpers."""', "", "import math", ""]
    i = 0
    while len(out) < lines:
        out += [f"def shape_{i}(width, height):",
                f"    area = width * height + {i}",
                f"    perimeter = 2 * (width + height) - {i % 7}",
                f"    return math.sqrt(area) + perimeter / {i + 1}", ""]
        i += 1
    return "\n".join(out[:lines])


def messages(lines: int = 300) -> list[dict[str, str]]:
    return [{"role": "user", "content":
             "Here is a Python file:\n\n```python\n" + source_file(lines) + "\n```\n\n"
             "Write the whole file back, unchanged except that the function shape_0 is renamed to "
             "first_shape. Output only the code."}]


def run(base: str, model: str, max_tokens: int, speculative: bool | None) -> dict[str, Any]:
    """One greedy stream. `speculative` is sent as Pendra's per-request
    switch (None: not sent, for llama-server)."""
    extra: dict[str, Any] = {"ignore_eos": False}
    if speculative is not None:
        extra["speculative"] = speculative
    c = Client(base)
    r = c.stream_chat(model, messages(), max_tokens, extra=extra)
    c.close()
    if not r.ok or r.t_first is None or r.completion_tokens < 2:
        return {"error": r.error or "no tokens"}
    decode_s = r.t_end - r.t_first
    return {"tok_s": round((r.completion_tokens - 1) / decode_s, 2) if decode_s > 0 else None,
            "completion_tokens": r.completion_tokens, "prompt_tokens": r.prompt_tokens,
            "ttft_ms": round(r.ttft * 1000, 1) if r.ttft else None}


def scenario(base: str, model: str, max_tokens: int, pendra: bool, round_index: int) -> dict[str, Any]:
    """Pendra: the same server without and with drafts (order alternating by
    round); llama-server: started with LLAMA_SPEC_FLAGS, once."""
    if not pendra:
        spec = run(base, model, max_tokens, None)
        return {"spec_tok_s": spec.get("tok_s"), "spec": spec, "flags": " ".join(LLAMA_SPEC_FLAGS)}
    order = [False, True] if round_index % 2 == 0 else [True, False]
    res = {flag: run(base, model, max_tokens, flag) for flag in order}
    plain, spec = res[False].get("tok_s"), res[True].get("tok_s")
    return {"plain_tok_s": plain, "spec_tok_s": spec,
            "speedup": round(spec / plain, 2) if plain and spec else None,
            "plain": res[False], "spec": res[True], "config": PENDRA_SPECULATIVE}
