#!/usr/bin/env python3
"""Load generator for OpenAI-compatible servers (standard library only).

Drives N concurrent streaming chat completions of a fixed length
(`ignore_eos: true`, fixed `max_tokens`, greedy) against any base URL and
reports aggregate output tokens/s, requests/s, time to first token and
inter-token latency percentiles, prompt tokens/s and errors.

    bench/loadgen.py --base-url http://127.0.0.1:8080 --model tiny-llama:latest \
        --concurrency 16 --requests 32 --max-tokens 64 --prompt-words 40

Used as a library by bench/run_bench.py, which adds the other scenarios
(long prompts mixed with running streams, prefix reuse, embeddings).

Measurement notes
  * TTFT: from just before the request is written to the arrival of the first
    SSE event carrying non-empty `delta.content`.
  * ITL: gaps between consecutive content events of one stream. Both servers
    send one event per sampled token here (a chunk that holds several tokens
    would show as one long gap, so this never flatters a server).
  * Output tokens: `usage.completion_tokens` from the final chunk
    (`stream_options.include_usage`), falling back to the number of content
    events when a server sends no usage.
  * The client parses only what it needs (a substring test per event, JSON
    only for the usage chunk) so that it steals as little CPU as possible from
    the server on a small machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable

# Common English words: each is one Llama-3 BPE token with its leading space,
# so a prompt of W words is about W tokens (usage.prompt_tokens says exactly).
WORDS = """the of and to in is was for that with as on by at from his her they this had not
are but which have one were their all there been has would when who will more no if out so
said what up its about than into them can only other new some could time these two may then
first any like now my such make over our even most made after also did many before must
through back years where much your way well down should because each just those people how
too little state good very world still own see men work long get here between both life
being under never day same another know while last might great old year off come since
against go came right used take three states himself few house use during without again
place around however home small found thought went say part once general high upon school
every does got united left number course war until always away something fact though water
less public put think almost hand enough far took head yet government system better set told
nothing night end why called find going look asked later point knew city next program give
group toward young days let room president side social present given several order national
possible rather second face per among form important often things looked early white case
john become large big need four within felt along children saw best church ever least power
development light thing seemed family interest want members mind country area others done
turned although open god service problem certain kind different thus began door help sense
whole matter perhaps itself york times law human line above name example action company hands
local show whether five history gave today either act feet across taken past quite anything
seen having death week experience body word half really field am car words already themselves
information tell together college shall money period held keep sure free real seems behind""".split()


def make_text(words: int, seed: int | str) -> str:
    """Deterministic pseudo-sentence of `words` words."""
    rng = random.Random(f"pendra-bench-{seed}")
    out: list[str] = []
    for i in range(words):
        w = rng.choice(WORDS)
        out.append(w.capitalize() if i % 12 == 0 else w)
        if i % 12 == 11:
            out[-1] += "."
    return " ".join(out)


def percentile(xs: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100); None for no data."""
    if not xs:
        return None
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000.0, 2)


@dataclass
class StreamResult:
    ok: bool = False
    error: str | None = None
    t_send: float = 0.0
    t_first: float | None = None
    t_end: float = 0.0
    token_times: list[float] = field(default_factory=list)
    completion_tokens: int = 0
    prompt_tokens: int = 0
    cached_tokens: int | None = None

    @property
    def ttft(self) -> float | None:
        return None if self.t_first is None else self.t_first - self.t_send

    def gaps(self) -> list[float]:
        t = self.token_times
        return [b - a for a, b in zip(t, t[1:])]


class Client:
    """One keep-alive HTTP/1.1 connection to the server (one per thread)."""

    def __init__(self, base_url: str, timeout: float = 600.0, api_key: str | None = None):
        u = urllib.parse.urlsplit(base_url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.https = u.scheme == "https"
        self.prefix = u.path.rstrip("/")
        if not self.prefix.endswith("/v1"):
            self.prefix += "/v1"
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.conn = cls(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _post(self, path: str, body: dict[str, Any]) -> http.client.HTTPResponse:
        data = json.dumps(body).encode()
        for attempt in (0, 1):
            conn = self._connect()
            try:
                conn.request("POST", self.prefix + path, body=data, headers=self.headers)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: retry once.
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def chat_text(self, model: str, messages: list[dict[str, str]], max_tokens: int) -> str | None:
        """The content of one greedy, non-streamed completion (None on any error)."""
        body = {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "ignore_eos": True}
        try:
            resp = self._post("/chat/completions", body)
            data = resp.read()
            if resp.status != 200:
                return None
            return json.loads(data)["choices"][0]["message"]["content"]
        except Exception:  # noqa: BLE001 - a failed check reads as a mismatch
            self.close()
            return None

    def stream_chat(self, model: str, messages: list[dict[str, str]], max_tokens: int,
                    extra: dict[str, Any] | None = None,
                    on_first: Callable[[float], None] | None = None) -> StreamResult:
        body: dict[str, Any] = {
            "model": model, "messages": messages, "max_tokens": max_tokens,
            "stream": True, "stream_options": {"include_usage": True},
            "ignore_eos": True, "temperature": 0.0,
        }
        if extra:
            body.update(extra)
        r = StreamResult()
        r.t_send = time.perf_counter()
        try:
            resp = self._post("/chat/completions", body)
            if resp.status != 200:
                r.error = f"HTTP {resp.status}: {resp.read()[:300]!r}"
                r.t_end = time.perf_counter()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return r
            usage = None
            while True:
                line = resp.readline()
                if not line:
                    break
                if not line.startswith(b"data:"):
                    continue
                now = time.perf_counter()
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    break
                if b'"usage"' in payload and b'"completion_tokens"' in payload:
                    try:
                        u = json.loads(payload).get("usage")
                        if u:
                            usage = u
                    except ValueError:
                        pass
                # A content event: `"content":"x"` with a non-empty string.
                i = payload.find(b'"content":')
                if i >= 0:
                    j = i + 10
                    while j < len(payload) and payload[j] in b" \t":
                        j += 1
                    if payload[j:j + 1] == b'"' and payload[j + 1:j + 2] != b'"':
                        r.token_times.append(now)
                        if r.t_first is None:
                            r.t_first = now
                            if on_first:
                                on_first(now)
            # drain so the connection can be reused
            resp.read()
            r.t_end = time.perf_counter()
            if usage:
                r.completion_tokens = int(usage.get("completion_tokens") or 0)
                r.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                det = usage.get("prompt_tokens_details") or {}
                if "cached_tokens" in det:
                    r.cached_tokens = int(det["cached_tokens"] or 0)
            else:
                r.completion_tokens = len(r.token_times)
            if r.t_first is None:
                r.error = "no content events"
            elif r.completion_tokens < max_tokens:
                r.error = f"short stream: {r.completion_tokens} < {max_tokens} tokens"
            else:
                r.ok = True
        except Exception as e:  # noqa: BLE001 - every failure is counted, not raised
            r.error = f"{type(e).__name__}: {e}"
            r.t_end = time.perf_counter()
            self.close()
        return r

    def embed(self, model: str, inputs: list[str]) -> tuple[bool, str | None, int]:
        """Returns (ok, error, number of vectors)."""
        try:
            resp = self._post("/embeddings", {"model": model, "input": inputs})
            data = resp.read()
            if resp.status != 200:
                return False, f"HTTP {resp.status}: {data[:300]!r}", 0
            n = len(json.loads(data).get("data") or [])
            if n != len(inputs):
                return False, f"{n} vectors for {len(inputs)} inputs", n
            return True, None, n
        except Exception as e:  # noqa: BLE001
            self.close()
            return False, f"{type(e).__name__}: {e}", 0


def summarize(results: list[StreamResult], wall: float) -> dict[str, Any]:
    ok = [r for r in results if r.ok]
    ttfts = [r.ttft for r in ok if r.ttft is not None]
    gaps = [g for r in ok for g in r.gaps()]
    out_tokens = sum(r.completion_tokens for r in ok)
    prompt_tokens = sum(r.prompt_tokens for r in ok)
    # Prefill rate seen by one request: its prompt over its TTFT.
    prefill_rates = [r.prompt_tokens / r.ttft for r in ok if r.ttft and r.prompt_tokens]
    errors = [r.error for r in results if not r.ok]
    return {
        "requests": len(results),
        "ok": len(ok),
        "errors": len(errors),
        "error_samples": sorted(set(e for e in errors if e))[:3],
        "wall_s": round(wall, 3),
        "output_tokens": out_tokens,
        "prompt_tokens": prompt_tokens,
        "output_tok_s": round(out_tokens / wall, 2) if wall > 0 else None,
        "requests_s": round(len(ok) / wall, 3) if wall > 0 else None,
        "prompt_tok_s": round(prompt_tokens / wall, 2) if wall > 0 else None,
        "prefill_tok_s_p50": round(statistics.median(prefill_rates), 1) if prefill_rates else None,
        "ttft_p50_ms": _ms(percentile(ttfts, 50)),
        "ttft_p95_ms": _ms(percentile(ttfts, 95)),
        "itl_p50_ms": _ms(percentile(gaps, 50)),
        "itl_p95_ms": _ms(percentile(gaps, 95)),
        "itl_max_ms": _ms(max(gaps) if gaps else None),
        "cached_tokens_p50": (statistics.median([r.cached_tokens for r in ok if r.cached_tokens is not None])
                              if any(r.cached_tokens is not None for r in ok) else None),
    }


def run_concurrent(base_url: str, model: str, concurrency: int, requests: int, max_tokens: int,
                   make_messages: Callable[[int], list[dict[str, str]]],
                   extra: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[StreamResult]]:
    """`concurrency` threads, each with its own keep-alive connection, take
    request indices 0..requests-1 from a shared counter; all start together."""
    lock = threading.Lock()
    next_i = [0]
    results: list[StreamResult] = []
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        c = Client(base_url)
        barrier.wait()
        try:
            while True:
                with lock:
                    i = next_i[0]
                    if i >= requests:
                        return
                    next_i[0] += 1
                r = c.stream_chat(model, make_messages(i), max_tokens, extra)
                with lock:
                    results.append(r)
        finally:
            c.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return summarize(results, wall), results


def short_messages(words: int, tag: str) -> Callable[[int], list[dict[str, str]]]:
    def mk(i: int) -> list[dict[str, str]]:
        return [{"role": "user", "content": make_text(words, f"{tag}-{i}")}]
    return mk


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8080 (/v1 is appended)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--requests", type=int, default=None, help="total requests (default: concurrency)")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--prompt-words", type=int, default=32)
    ap.add_argument("--tag", default="cli", help="seed for the prompt text")
    args = ap.parse_args(argv)
    summary, _ = run_concurrent(args.base_url, args.model, args.concurrency,
                                args.requests or args.concurrency, args.max_tokens,
                                short_messages(args.prompt_words, args.tag))
    json.dump(summary, sys.stdout, indent=2)
    print()
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
