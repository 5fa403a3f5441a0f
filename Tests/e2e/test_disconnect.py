"""A client that leaves mid-stream frees its sequence."""
from __future__ import annotations

import re
import time

from conftest import CHAT_MODEL
from e2e_helpers import user

MAX_TOKENS = 3000


def _llama(h):
    return next(m for m in h.get("/health").json()["models"] if m["id"] == CHAT_MODEL)


def _completion_tokens(h) -> float:
    m = re.search(r'^pendra_completion_tokens_total\{model="tiny-llama:latest"\} ([0-9.e+]+)$',
                  h.get("/metrics").text, re.M)
    return float(m.group(1)) if m else 0.0


def test_disconnect_mid_stream_frees_the_sequence(server):
    with server.http() as h:
        assert _llama(h)["running"] == 0
        before = _completion_tokens(h)
        body = {"model": CHAT_MODEL, "messages": user("Write an endless epic poem."), "max_tokens": MAX_TOKENS,
                "temperature": 0.8, "seed": 7, "ignore_eos": True, "stream": True}
        with server.http() as streaming:
            with streaming.stream("POST", "/v1/chat/completions", json=body) as r:
                assert r.status_code == 200
                # Keep the iterator referenced: dropping it makes httpcore close the
                # connection at once, before the check below.
                lines = r.iter_lines()
                seen = 0
                for line in lines:
                    if line.startswith("data:"):
                        seen += 1
                        if seen == 2:
                            break
                assert _llama(h)["running"] == 1, "the stream should still be generating"
                r.close()  # the client leaves mid-stream
                del lines

        deadline = time.monotonic() + 5
        state = _llama(h)
        while state["running"] != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            state = _llama(h)
        assert state["running"] == 0, f"sequence still running 5 s after the client left: {state}"
        generated = _completion_tokens(h) - before
        assert generated < MAX_TOKENS, f"the abandoned stream ran to max_tokens ({generated})"
        # The engine still serves.
        c = server.openai().chat.completions.create(model=CHAT_MODEL, messages=user("hi"), max_tokens=3)
        assert c.usage.completion_tokens > 0
