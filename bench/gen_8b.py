#!/usr/bin/env python3
"""Writes a random-weight ~8B-parameter llama model for GPU benchmarks.

    bench/gen_8b.py --llama-src LLAMA_SRC --quantize BIN/llama-quantize --out models/bench-8b.gguf

Llama-3-8B shapes (n_embd 4096, 32 layers, 32 heads, 8 KV heads, n_ff 14336,
the Llama 3 BPE vocabulary of 128,256 tokens and the Llama 3.1 chat template,
borrowed from llama.cpp's models/ like scripts/gen_models.py does), F16 first
(about 16 GB, written through scripts/gen_models.py's own decoder writer so
the tokenizer and the zeroed control-token output rows are the same as in
the test models), then quantized with llama-quantize to Q4_K_M (about 4.9 GB).
The F16 file is deleted afterwards unless --keep-f16.

Needs numpy and pyyaml (gguf-py), about 20 GB of RAM and 22 GB of free disk.
Random weights: the text is gibberish, the compute per token is that of a
real 8B model.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_gen_models(llama_src: Path):  # noqa: ANN201
    sys.path.insert(0, str(llama_src / "gguf-py"))
    import gguf  # noqa: E402
    logging.getLogger("gguf").setLevel(logging.ERROR)
    spec = importlib.util.spec_from_file_location("gen_models", ROOT / "scripts" / "gen_models.py")
    assert spec and spec.loader
    gm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gm)
    gm.gguf = gguf  # gen_models imports gguf-py lazily in main(); do it for it
    return gm, gguf


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--llama-src", required=True, type=Path)
    ap.add_argument("--quantize", required=True, type=Path, help="llama-quantize binary")
    ap.add_argument("--out", required=True, type=Path, help="final Q4_K_M file")
    ap.add_argument("--type", default="Q4_K_M", help="llama-quantize type (default Q4_K_M)")
    ap.add_argument("--keep-f16", action="store_true")
    ap.add_argument("--layers", type=int, default=32, help="n_layer (32 = Llama-3-8B)")
    args = ap.parse_args(argv)

    out: Path = args.out
    if out.is_file() and out.stat().st_size > 0:
        print(f"{out}: exists, not regenerated (delete it to rebuild)")
        return 0
    gm, gguf = load_gen_models(args.llama_src.resolve())
    spec = dict(arch="llama", general_name="Pendra Bench 8B (random weights)", license="mit",
                vocab_file="ggml-vocab-llama-bpe.gguf",
                template_file="meta-llama-Llama-3.1-8B-Instruct.jinja",
                n_embd=4096, n_layer=args.layers, n_head=32, n_head_kv=8, n_ff=14336, ctx=131072,
                rope_base=500000.0, rms_eps=1e-5, qtype="F16",
                file_type=gguf.LlamaFileType.MOSTLY_F16,
                std=0.02, embd_std=0.02, tokenizer_overrides=gm.llama3_overrides())
    f16 = out.with_name(out.stem + "-f16.gguf")
    t0 = time.time()
    if not f16.is_file():
        print(f"writing {f16} (F16, ~16 GB) ...", flush=True)
        gm.write_gguf(f16, "llama", gm.decoder_model(args.llama_src.resolve(), "bench-8b", spec))
        print(f"  {f16.stat().st_size / 1e9:.1f} GB in {time.time() - t0:.0f}s", flush=True)
    t1 = time.time()
    tmp = out.with_name(out.name + ".tmp")
    subprocess.run([str(args.quantize), str(f16), str(tmp), args.type], check=True)
    tmp.replace(out)
    print(f"{out}: {args.type}, {out.stat().st_size / 1e9:.2f} GB, quantized in {time.time() - t1:.0f}s", flush=True)
    if not args.keep_f16:
        f16.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
