#!/usr/bin/env python3
"""Render Claude-Code- and Codex-shaped conversations on every chat template in
llama.cpp's corpus with Python jinja2, reshaping a conversation the way Pendra's
ConversationReshaper does whenever the template raises, and write the expected
outcomes for ReshapeCorpusTests.

Usage:
  scripts/reshape_reference.py [--templates DIR] [--out FILE] [--summary]

This is a second, independent implementation of the rules in README.md
("Conversations a template cannot express"): the Swift test checks that both pick
the same level, produce the same messages and render the same bytes. A level
is taken when the template renders it and keeps every system and developer
text (see keeps_instructions); when no level keeps them all, the first that
renders is taken, and when none renders the conversation fails. The jinja2
environment is jinja_reference.py's (Hugging Face's settings, fixed date).

Conversations are written in Pendra's internal message form (role, content,
tool_calls with JSON-text arguments, tool_call_id, name): what the Anthropic and
Responses translations hand the engine. A final assistant turn with text is a
prefill, split off and appended after the render, as ChatEngine.prepare does.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jinja_reference import DEFAULT_DIR, FIXED_DATE, make_environment  # noqa: E402

DEFAULT_OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "Tests", "PendraEngineTests", "Fixtures", "reshape_corpus.json",
)
LEVELS = 6  # levels 1..6; 0 is the conversation as sent


def msg(role, content="", tool_calls=None, tool_call_id=None, name=None):
    m = {"role": role, "content": content}
    if tool_calls:
        m["tool_calls"] = [{"id": i, "name": n, "arguments": a} for i, n, a in tool_calls]
    if tool_call_id is not None:
        m["tool_call_id"] = tool_call_id
    if name is not None:
        m["name"] = name
    return m


BASH_TOOL = {
    "name": "Bash",
    "description": "Run a shell command.",
    "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
}
READ_TOOL = {
    "name": "Read",
    "description": "Read a file.",
    "parameters": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
}
SHELL_TOOL = {
    "name": "shell",
    "description": "Runs a shell command and returns its output.",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "array", "items": {"type": "string"}}, "workdir": {"type": "string"}},
        "required": ["command"],
    },
}

CC_SYSTEM = "You are Claude Code, Anthropic's official CLI for Claude.\nWorking directory: /repo"
REMINDER = "<system-reminder>Token usage: 1200/200000; 198800 tokens left.</system-reminder>"
CX_SYSTEM = "You are Codex, a coding agent based on GPT-5. You and the user share the same workspace."
CX_ENV = "<environment_context>\n  <cwd>/repo</cwd>\n  <shell>bash</shell>\n</environment_context>"

# What Claude Code (via /v1/messages) and Codex (via /v1/responses or chat
# completions) send, after Pendra's edge translation.
CONVERSATIONS = {
    # A mid-conversation system message right after the first user turn.
    "cc_late_system": {"messages": [
        msg("system", CC_SYSTEM), msg("user", "List the files."), msg("system", REMINDER),
    ], "tools": [BASH_TOOL]},
    # The same conversation one turn later: the reminder stays where it was.
    "cc_late_system_next_turn": {"messages": [
        msg("system", CC_SYSTEM), msg("user", "List the files."), msg("system", REMINDER),
        msg("assistant", "Which directory?"), msg("user", "The current one."),
        msg("system", REMINDER.replace("198800", "198500")),
    ], "tools": [BASH_TOOL]},
    # tool_use / tool_result, with text after the results in the same user message.
    "cc_tool_loop": {"messages": [
        msg("system", CC_SYSTEM), msg("user", "What is in README.md?"),
        msg("assistant", "I'll read it.", [("toolu_1", "Read", "{\"file_path\":\"/repo/README.md\"}")]),
        msg("tool", "# Demo\nA small project.", tool_call_id="toolu_1"),
        msg("user", REMINDER),
    ], "tools": [BASH_TOOL, READ_TOOL]},
    # Two parallel calls, their results, a late reminder, and an answer being continued.
    "cc_parallel_prefill": {"messages": [
        msg("system", CC_SYSTEM), msg("system", "Be brief."), msg("user", "Run ls and pwd."),
        msg("assistant", "", [("toolu_1", "Bash", "{\"command\":\"ls\"}"), ("toolu_2", "Bash", "{\"command\":\"pwd\"}")]),
        msg("tool", "README.md\nsrc", tool_call_id="toolu_1"),
        msg("tool", "/repo", tool_call_id="toolu_2"),
        msg("system", REMINDER),
        msg("assistant", "The directory /repo holds"),
    ], "tools": [BASH_TOOL]},
    # Consecutive user turns and no system prompt.
    "cc_consecutive_users": {"messages": [
        msg("user", "Hello."), msg("user", "Are you there?"),
    ], "tools": []},
    # Codex's first turn: instructions, a developer message, environment then prompt.
    "codex_first_turn": {"messages": [
        msg("system", CX_SYSTEM), msg("developer", "Approval policy: never."),
        msg("user", CX_ENV), msg("user", "Say hi in one short sentence."),
    ], "tools": [SHELL_TOOL]},
    # Codex's tool loop: calls with empty content, outputs, a developer message mid-way.
    "codex_tool_loop": {"messages": [
        msg("developer", CX_SYSTEM), msg("user", CX_ENV), msg("user", "How many files are there?"),
        msg("assistant", "", [("call_1", "shell", "{\"command\":[\"ls\"]}")]),
        msg("tool", "a.txt\nb.txt", tool_call_id="call_1", name="shell"),
        msg("developer", "Sandbox: workspace-write."),
        msg("assistant", "", [("call_2", "shell", "{\"command\":[\"wc\",\"-l\",\"a.txt\"]}")]),
        msg("tool", "3 a.txt", tool_call_id="call_2", name="shell"),
        msg("assistant", "There are 2 files."), msg("user", "Thanks."),
    ], "tools": [SHELL_TOOL]},
    # A conversation every template should take as is: the control.
    "plain_multi_turn": {"messages": [
        msg("system", "You are helpful."), msg("user", "Hi"), msg("assistant", "Hello!"), msg("user", "Bye"),
    ], "tools": []},
}


# ---- the rules (README.md, "Conversations a template cannot express") ----

def join(a, b):
    return a + "\n\n" + b if a and b else a + b


def hermes_calls(calls):
    return "\n".join(
        "<tool_call>\n" + json.dumps({"name": c["name"], "arguments": parse_args(c["arguments"])},
                                     ensure_ascii=False, separators=(",", ":")) + "\n</tool_call>"
        for c in calls)


def parse_args(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def split_parallel_calls(messages):
    """One call per assistant turn, each followed by its result."""
    out = []
    i = 0
    while i < len(messages):
        m = messages[i]
        calls = m.get("tool_calls", [])
        if m["role"] != "assistant" or len(calls) < 2:
            out.append(m)
            i += 1
            continue
        j = i + 1
        results = []
        while j < len(messages) and messages[j]["role"] == "tool":
            results.append(messages[j])
            j += 1
        for k, call in enumerate(calls):
            turn = dict(m)
            turn["content"] = m["content"] if k == 0 else ""
            turn["tool_calls"] = [call]
            out.append(turn)
            match = [r for r in results if r.get("tool_call_id") == call["id"]]
            if match:
                out.append(match[0])
                results.remove(match[0])
        out.extend(results)  # results that answer no call of this turn keep their order
        i = j
    return out


def reshape(messages, level):
    out = [dict(m) for m in messages]
    if level >= 1:  # developer is system
        for m in out:
            if m["role"] == "developer":
                m["role"] = "system"
    if level >= 2:  # a system message after the first other one speaks as the user
        seen_other = False
        for m in out:
            if m["role"] != "system":
                seen_other = True
            elif seen_other:
                m["role"] = "user"
    if level >= 4:  # tool turns the strict way
        out = split_parallel_calls(out)
        folded = []  # user text right after tool results joins the last result
        for m in out:
            if m["role"] == "user" and folded and folded[-1]["role"] == "tool":
                folded[-1] = dict(folded[-1], content=join(folded[-1]["content"], m["content"]))
            else:
                folded.append(m)
        out = folded
        ids = {}  # call ids of nine letters and digits, numbered in order of appearance
        def short(i):
            return ids.setdefault(i, "call%05d" % (len(ids) + 1))
        for m in out:
            if m.get("tool_calls"):
                m["tool_calls"] = [dict(c, id=short(c["id"])) for c in m["tool_calls"]]
            if "tool_call_id" in m:
                m["tool_call_id"] = short(m["tool_call_id"])
    if level >= 5:  # tool results are user turns, tool calls assistant text
        for m in out:
            if m["role"] == "tool":
                m["role"] = "user"
                m["content"] = "<tool_response>\n" + m["content"] + "\n</tool_response>"
                m.pop("tool_call_id", None)
                m.pop("name", None)
            elif m["role"] == "assistant" and m.get("tool_calls"):
                m["content"] = join(m["content"], hermes_calls(m.pop("tool_calls")))
    if level >= 6:  # the system prompt opens the first user turn
        system = [m for m in out if m["role"] == "system"]
        rest = [m for m in out if m["role"] != "system"]
        if system:
            text = "\n\n".join(m["content"] for m in system if m["content"])
            first = next((m for m in rest if m["role"] == "user"), None)
            if first is None:
                rest.insert(0, {"role": "user", "content": text})
            else:
                first["content"] = join(text, first["content"])
        out = rest
    if level >= 3:  # consecutive messages of one role are one turn (tool results stay apart)
        merged = []
        for m in out:
            if merged and merged[-1]["role"] == m["role"] and m["role"] != "tool":
                last = merged[-1]
                last["content"] = join(last["content"], m["content"])
                calls = last.get("tool_calls", []) + m.get("tool_calls", [])
                if calls:
                    last["tool_calls"] = calls
            else:
                merged.append(m)
        out = merged
    return out


def split_prefill(messages):
    last = messages[-1]
    if len(messages) > 1 and last["role"] == "assistant" and not last.get("tool_calls") and last["content"]:
        return messages[:-1], last["content"]
    return messages, ""


def hf_message(m):
    """ChatTemplate.jinjaMessage: tool-call arguments as objects."""
    o = {"role": m["role"], "content": m["content"]}
    if m.get("tool_calls"):
        o["tool_calls"] = [{"id": c["id"], "type": "function",
                            "function": {"name": c["name"], "arguments": parse_args(c["arguments"])}}
                           for c in m["tool_calls"]]
    if "tool_call_id" in m:
        o["tool_call_id"] = m["tool_call_id"]
    if "name" in m:
        o["name"] = m["name"]
    return o


def template_render(template, messages, tools):
    context = {
        "messages": [hf_message(m) for m in messages],
        "add_generation_prompt": True,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "date_string": FIXED_DATE.strftime("%d %b %Y"),
    }
    if tools:
        context["tools"] = [{"type": "function", "function": t} for t in tools]
    return template.render(**context)


def keeps_instructions(messages, text):
    """Every system and developer text (stripped) appears in the render: many
    templates silently skip a role they do not know or a second system message."""
    return all(m["content"].strip() in text for m in messages
               if m["role"] in ("system", "developer") and m["content"].strip())


def outcome(env, source, conversation):
    messages, prefill = split_prefill(conversation["messages"])
    try:
        template = env.from_string(source)
    except Exception as error:
        return {"level": None, "error": f"{type(error).__name__}: {error}"}
    first_error = None
    fallback = None
    tried = None
    for level in range(LEVELS + 1):
        shaped = reshape(messages, level) if level else messages
        if shaped == tried:
            continue  # this level changes nothing the last one did not
        tried = shaped
        try:
            text = template_render(template, shaped, conversation["tools"])
        except Exception as error:
            if first_error is None:
                first_error = f"{type(error).__name__}: {error}"
            continue
        result = {"level": level, "render": text + prefill}
        if level:
            result["messages"] = shaped
            if first_error is not None:
                result["error"] = first_error
        if keeps_instructions(messages, text):
            return result
        if fallback is None:
            fallback = dict(result, dropped=True)
    if fallback is not None:
        return fallback
    return {"level": None, "error": first_error}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", default=DEFAULT_DIR)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--summary", action="store_true", help="print the outcomes, write nothing")
    args = ap.parse_args()
    env = make_environment()
    expected = {}
    for file in sorted(os.listdir(args.templates)):
        if not file.endswith(".jinja"):
            continue
        with open(os.path.join(args.templates, file), encoding="utf-8") as f:
            source = f.read()
        expected[file] = {n: outcome(env, source, c) for n, c in CONVERSATIONS.items()}
    counts = {}
    for file, per in expected.items():
        for name, r in per.items():
            key = "none" if r["level"] is None else f"level {r['level']}"
            counts[key] = counts.get(key, 0) + 1
            if r.get("dropped"):
                counts["dropped at every level"] = counts.get("dropped at every level", 0) + 1
            if args.summary and r["level"] != 0:
                why = r.get("error", "dropped a system or developer text as sent")
                print(f"{file} x {name}: {key}: {why[:150]}")
    print(json.dumps(dict(sorted(counts.items()))))
    if args.summary:
        return
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"conversations": CONVERSATIONS, "expected": expected}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
