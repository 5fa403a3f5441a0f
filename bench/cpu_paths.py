#!/usr/bin/env python3
"""Which CPU build of llama.cpp is fastest, per weight type (`make bench-cpu-paths`).

For every build given (`--build NAME=PREFIX`, each a `scripts/llama-build.sh
--server` prefix holding bin/llama-bench) and every weight type Pendra serves,
runs llama.cpp's own `llama-bench` on the same model: prefill of a short and a
long prompt and 64-token decode for a chat model, prompt processing with
`-embd 1` for an embedding model. The chat models are the generated
bench-llama (Q8_0) requantized to each type with the first build's
`llama-quantize --allow-requantize` (random weights: speed, not quality, is
measured); the embedding models are all-minilm-l6-v2 as shipped (F16) and
converted to F32 and Q8_0. Builds run one after another, their order
alternating per model so a shared machine's drift favours none. Prints a
Markdown table (tokens/s, medians of llama-bench's repetitions, each build's
ratio to the first) and writes it with the raw JSON to `--out`.

    python3 bench/cpu_paths.py --build ggml=$(scripts/llama-build.sh --print-prefix) \\
        --build blas=$(BLAS=1 scripts/llama-build.sh --print-prefix) \\
        --model models/bench-llama.gguf --embed-model models/all-minilm-l6-v2.gguf
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHAT_TYPES = ["Q4_0", "Q4_1", "Q4_K_M", "Q8_0", "F16", "F32"]
EMBED_TYPES = ["F16", "F32", "Q8_0"]


def quantized(quantize: Path, src: Path, qtype: str, src_type: str, out_dir: Path) -> Path:
    """`src` converted to `qtype` (cached in `out_dir`); the source itself for its own type."""
    if qtype == src_type:
        return src
    out = out_dir / f"{src.stem}-{qtype}.gguf"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        subprocess.run([str(quantize), "--allow-requantize", str(src), str(tmp), qtype],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        tmp.rename(out)
    return out


def llama_bench(prefix: Path, model: Path, args: list[str], threads: int, reps: int) -> list[dict[str, Any]]:
    cmd = [str(prefix / "bin" / "llama-bench"), "-m", str(model), "-t", str(threads), "-r", str(reps),
           "-o", "json", *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return json.loads(r.stdout)


def test_name(row: dict[str, Any], kind: str) -> str:
    if row.get("n_gen", 0) > 0 and row.get("n_prompt", 0) == 0:
        return f"decode tg{row['n_gen']}"
    return f"{'embed' if kind == 'embeddings' else 'prefill'} pp{row['n_prompt']}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", action="append", required=True, metavar="NAME=PREFIX",
                    help="a llama.cpp build prefix; the first is the reference for ratios")
    ap.add_argument("--model", type=Path, required=True, help="chat GGUF to requantize (bench-llama, Q8_0)")
    ap.add_argument("--model-type", default="Q8_0", help="the weight type --model already has")
    ap.add_argument("--embed-model", type=Path, default=None, help="embedding GGUF (F16)")
    ap.add_argument("--embed-type", default="F16")
    ap.add_argument("--types", default=",".join(CHAT_TYPES))
    ap.add_argument("--embed-types", default=",".join(EMBED_TYPES))
    ap.add_argument("--prompts", default="96,864", help="prefill lengths (llama-bench -p)")
    ap.add_argument("--gen", type=int, default=64, help="decode length (llama-bench -n)")
    ap.add_argument("--embed-prompts", default="32,256")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cache", type=Path, default=ROOT / "models" / "cpu-paths")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    a = ap.parse_args()

    builds = []
    for b in a.build:
        name, _, prefix = b.partition("=")
        p = Path(prefix)
        if not (p / "bin" / "llama-bench").exists():
            ap.error(f"{p}/bin/llama-bench is missing (scripts/llama-build.sh --server with that build's switches)")
        builds.append((name, p))
    a.cache.mkdir(parents=True, exist_ok=True)
    quantize = builds[0][1] / "bin" / "llama-quantize"

    jobs: list[tuple[str, str, Path, list[str]]] = []  # (kind, type, model, llama-bench args)
    for t in a.types.split(","):
        m = quantized(quantize, a.model.resolve(), t, a.model_type, a.cache)
        jobs.append(("chat", t, m, ["-p", a.prompts, "-n", str(a.gen)]))
    if a.embed_model:
        for t in a.embed_types.split(","):
            m = quantized(quantize, a.embed_model.resolve(), t, a.embed_type, a.cache)
            jobs.append(("embeddings", t, m, ["-embd", "1", "-p", a.embed_prompts, "-n", "0"]))

    results: list[dict[str, Any]] = []
    for i, (kind, t, m, args) in enumerate(jobs):
        order = builds if i % 2 == 0 else list(reversed(builds))
        for name, prefix in order:
            load = os.getloadavg()[0]
            for row in llama_bench(prefix, m, args, a.threads, a.reps):
                samples = row.get("samples_ts") or [row["avg_ts"]]
                results.append({"kind": kind, "type": t, "build": name, "test": test_name(row, kind),
                                "tok_s": statistics.median(samples), "samples": samples, "load_before": load,
                                "cpu": row.get("cpu_info"), "model_size": row.get("model_size")})
            print(f"[{kind} {t}] {name} done (load {load:.1f})", file=sys.stderr, flush=True)

    names = [n for n, _ in builds]
    lines = [f"# CPU builds of llama.cpp by weight type ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)", "",
             f"- builds: " + "; ".join(f"{n} = {p.name}" for n, p in builds),
             f"- cpu: {results[0]['cpu'] if results else '?'}, {a.threads} threads; llama-bench, "
             f"{a.reps} repetitions, median tokens/s", "",
             "| model | weights | test | " + " | ".join(f"{n} tok/s" for n in names) + " | "
             + " | ".join(f"{n} / {names[0]}" for n in names[1:]) + " | fastest |",
             "|---|---|---|" + "---:|" * (2 * len(names) - 1) + "---|"]
    seen: list[tuple[str, str, str]] = []
    for r in results:
        k = (r["kind"], r["type"], r["test"])
        if k not in seen:
            seen.append(k)
    for kind, t, test in seen:
        by = {r["build"]: r["tok_s"] for r in results if (r["kind"], r["type"], r["test"]) == (kind, t, test)}
        vals = [by.get(n) for n in names]
        ratios = [f"{v / vals[0]:.2f}" if v and vals[0] else "n/a" for v in vals[1:]]
        best = max((n for n in names if by.get(n)), key=lambda n: by[n])
        lines.append(f"| {kind} | {t} | {test} | " + " | ".join(f"{v:.1f}" if v else "n/a" for v in vals)
                     + " | " + " | ".join(ratios) + f" | {best} |")
    md = "\n".join(lines) + "\n"
    a.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (a.out / f"cpu-paths-{stamp}.json").write_text(json.dumps({"builds": {n: str(p) for n, p in builds},
                                                               "results": results}, indent=2))
    (a.out / f"cpu-paths-{stamp}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
