#!/usr/bin/env python3
"""Render llama.cpp's chat-template corpus with Python jinja2, the way Hugging Face
transformers does, and write the expected outputs for PendraJinja's corpus test.

Usage:
  scripts/jinja_reference.py [--templates DIR] [--out FILE]
  scripts/jinja_reference.py --render TEMPLATE.jinja --conversation NAME

The environment mirrors transformers' `_compile_jinja_template`: an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loopcontrols, its own
`tojson` (json.dumps with ensure_ascii=False) and the `raise_exception` / `strftime_now`
globals. `strftime_now` uses a fixed date so fixtures are reproducible; the Swift test
injects the same date. The `{% generation %}` extension renders its body unchanged.
"""
import argparse
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# 2025-01-02 03:04:05 UTC; keep in sync with CorpusTests.fixedDate.
FIXED_DATE = datetime.datetime(2025, 1, 2, 3, 4, 5)
DEFAULT_DIR = os.path.join(
    os.environ.get(
        "PENDRA_LLAMA_SRC",
        "/root/.cache/pendra/src/llama-cpp-python-0.3.36/vendor/llama.cpp",
    ),
    "models",
    "templates",
)
DEFAULT_OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "Tests", "PendraJinjaTests", "Fixtures", "corpus.json",
)


class GenerationTracker(jinja2.ext.Extension):
    """transformers' AssistantTracker without the index tracking: body unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(
            self.call_method("_render", []), [], [], body
        ).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(
            x, ensure_ascii=ensure_ascii, indent=indent,
            separators=separators, sort_keys=sort_keys,
        )

    def strftime_now(fmt):
        return FIXED_DATE.strftime(fmt)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[GenerationTracker, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time for a timezone.",
        "parameters": {
            "type": "object",
            "properties": {"tz": {"type": "string"}, "precise": {"type": "boolean"}},
            "required": ["tz"],
        },
    },
}


def tool_call_messages(arguments):
    return [
        {"role": "system", "content": "You are a helpful assistant with tools."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": arguments},
            }],
        },
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather",
         "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
        {"role": "user", "content": "Thanks! And tomorrow?"},
    ]


# Every conversation is a full context; bos/eos are added for all of them.
CONVERSATIONS = {
    "system_user": {
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Hello! What is 2 + 2?"},
        ],
        "add_generation_prompt": True,
    },
    "multi_turn": {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hi there"},
            {"role": "assistant", "content": "Hello! How can I help you today?"},
            {"role": "user", "content": "Tell me a joke about \"quotes\" & <tags>.\nTwo lines, café ☕."},
        ],
        "add_generation_prompt": True,
    },
    "tools": {
        "messages": [
            {"role": "user", "content": "What's the weather in Paris?"},
        ],
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "add_generation_prompt": True,
    },
    "tool_calls": {
        "messages": tool_call_messages({"city": "Paris", "unit": "celsius"}),
        "tools": [WEATHER_TOOL],
        "add_generation_prompt": True,
    },
    "tool_calls_string_args": {
        "messages": tool_call_messages("{\"city\": \"Paris\", \"unit\": \"celsius\"}"),
        "tools": [WEATHER_TOOL],
        "add_generation_prompt": True,
    },
    "no_system_no_prompt": {
        "messages": [
            {"role": "user", "content": "Ping"},
            {"role": "assistant", "content": "Pong"},
        ],
        "add_generation_prompt": False,
    },
}


# Small templates pinning down jinja2 semantics, one construct each; written to
# Fixtures/semantics.json for SemanticsTests.
SEMANTIC_CASES = [
 # whitespace
 ("{% if true %}\n  yes\n{% endif %}\n", {}),
 ("  {% if true %}\nA\n  {% endif %}\nB", {}),
 ("a  {%- if true -%}  b  {%- endif -%}  c", {}),
 ("x {{- ' y ' -}} z", {}),
 ("{{ 1 }}  {% if true %}x{% endif %}", {}),
 ("  {%+ if true %}x{% endif %}", {}),
 ("{# comment #}\nA{#- c -#}  B", {}),
 ("{% raw %}{{ not parsed }}{% endraw %}\nX", {}),
 # loops
 ("{% for x in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}", {"items": ["a","b","c"]}),
 ("{% for x in items %}{{ loop.previtem }}-{{ x }}-{{ loop.nextitem }};{% endfor %}", {"items": [1,2,3]}),
 ("{% for x in items %}{{ loop.cycle('odd','even') }}{% endfor %}", {"items": [1,2,3]}),
 ("{% for x in items %}{{ x }}{% else %}empty{% endfor %}", {"items": []}),
 ("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"b": 1, "a": 2}}),
 ("{% for x in items if x > 1 %}{{ x }}{{ loop.length }}{% endfor %}", {"items": [1,2,3]}),
 ("{% for x in items %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", {"items": [1,2,3,4,5]}),
 # set / namespace
 ("{% set ns = namespace(found=false, n=0) %}{% for x in [1,2,3] %}{% set ns.n = ns.n + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}", {}),
 ("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", {}),
 ("{% set block %}Hello {{ name }}{% endset %}[{{ block }}]", {"name": "W"}),
 ("{% set a, b = [1, 2] %}{{ a }}{{ b }}", {}),
 # macros
 ("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }}", {}),
 ("{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}", {}),
 ("{% filter upper %}shout {{ 'it' }}{% endfilter %}", {}),
 # expressions
 ("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}", {}),
 ("{{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1] + [2] }}", {}),
 ("{{ 1 if false else 2 }} {{ 'x' if true }}|{{ 'y' if false }}|", {}),
 ("{{ 'b' in 'abc' }} {{ 2 not in [1, 2] }} {{ 'k' in {'k': 1} }}", {}),
 ("{{ s[1:3] }} {{ s[::-1] }} {{ s[-2:] }} {{ l[1:] }} {{ l[::2] }} {{ l[-1] }}", {"s": "hello", "l": [1,2,3,4]}),
 ("{{ [1, 'a', none, true, 1.5, {'k': [2]}] }} {{ {'a': 'it\\'s'} }}", {}),
 ("{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 3.0 }} {{ 1e-5 }} {{ 10 / 4 }}", {}),
 ("{{ \"tab\\there\" }}|{{ 'q\\'s' }}|{{ 'a' 'b' }}", {}),
 ("{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 3 is number }} {{ 3 is integer }} {{ 3.0 is float }} {{ true is boolean }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 'ab' is lower }} {{ x is not none }}", {"x": 1}),
 ("{{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 'a' is in ['a'] }} {{ false is false }} {{ true is true }}", {}),
 # filters
 ("{{ '  hi  '|trim }}|{{ 'aXa'|trim('a') }}|{{ 'hello world'|title }}|{{ 'hELLO'|capitalize }}|{{ 'abc'|upper }}|{{ 'a-b'|replace('-', '+') }}", {}),
 ("{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ 'é\"\\n'|tojson }}|{{ [1.0, none, true]|tojson }}", {"d": {"b": [1, {"c": "x"}], "a": {}}}),
 ("{{ items|length }} {{ items|first }} {{ items|last }} {{ items|join(', ') }} {{ items|reverse|list }} {{ items|sort }} {{ items|unique|list }} {{ items|sum }} {{ items|min }} {{ items|max }}", {"items": [3,1,2,3]}),
 ("{{ users|selectattr('active')|map(attribute='name')|join(',') }} {{ users|rejectattr('active')|map(attribute='name')|list }} {{ users|selectattr('name', 'equalto', 'b')|list|length }}", {"users": [{"name": "a", "active": True}, {"name": "b", "active": False}]}),
 ("{% for k, v in d|dictsort %}{{ k }}{{ v }}{% endfor %} {% for k, v in d|items %}{{ k }}{{ v }}{% endfor %} {{ x|default('dflt') }} {{ ''|default('e', true) }} {{ 3.7|int }} {{ '42'|int }} {{ '2.5'|float }} {{ -3|abs }} {{ 2.567|round(2) }} {{ 5|string ~ 'x' }}", {"d": {"b": 1, "A": 2}}),
 ("{{ 'line1\\nline2\\n\\nline3'|indent(2) }}|{{ 'x\\ny'|indent(2, true) }}|{{ 'ab'|center(6) }}|{{ 'a b c'|wordcount }}", {}),
 ("{{ [1,2,3,4,5]|batch(2)|list }} {{ ['a','b']|map('upper')|list }} {{ '<a & \"b\">'|e }} {{ 'x'|safe }}", {}),
 # methods
 ("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'xxhixx'.strip('x') }} {{ '  l'.lstrip() }} {{ 'r  '.rstrip() }}", {}),
 ("{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'hello world'.title() }} {{ 'abcabc'.replace('b', 'B', 1) }} {{ 'abc'.find('c') }} {{ 'aaa'.count('a') }} {{ '{} and {name}'.format(1, name='n') }} {{ '-'.join(['a', 'b']) }}", {}),
 ("{{ d.get('a') }} {{ d.get('z', 'dflt') }} {{ d.get('z') }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.a }} {{ d['a'] }} {{ d.missing is defined }}", {"d": {"a": 1, "b": 2}}),
 ("{{ '%s-%d' % ('a', 3) }} {{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ dict(a=1) }} {{ strftime_now('%Y-%m-%d %H:%M') }}", {}),
 ("{% generation %}gen {{ 1 }}{% endgeneration %}", {}),
 ("{{ {0: 'zero', 2: 'two'}[2] }} {{ {1: 2} }}", {}),
 ("{{ 3 < 2 < 1 }} {{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ true == 1 }}", {}),
 ("{{ 'a'|safe + '<b>' }} {{ '<c>' ~ 'd'|safe }}", {}),
 ("{{ tools|map(attribute='name')|tojson }}", {"tools": [{"name": "t"}]}),
 ("{{ none.attr is defined }} {{ [1, 2][5] is defined }} {{ 'x'|list }} {{ {'a': 1}|list }}", {}),
 ("{% macro m(a, b=a ~ '!') %}{{ a }}{{ b }}{% endmacro %}{{ m('x') }}", {}),
 ("{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{% set rest = messages[1:] %}{% endif %}{% for m in rest %}|{{ m.role }}{% endfor %}",
  {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]}),
 # errors: Pendra must raise with jinja2's message (undefined hints, Python TypeErrors)
 ("{{ missing.attr }}", {}),
 ("{{ missing() }}", {}),
 ("{{ d.nope + 1 }}", {"d": {"a": 1}}),
 ("{{ d['nope'] ~ 'x' }}{{ d['nope'] - 1 }}", {"d": {"a": 1}}),
 ("{{ l[5] * 2 }}", {"l": [1, 2]}),
 ("{{ s.items() }}", {"s": "text"}),
 ("{{ none.x < 1 }}", {}),
 ("{{ -(l|first) }}", {"l": []}),
 ("{% for x in [1] %}{{ loop.previtem + 1 }}{% endfor %}", {}),
 ("{% macro m(a) %}{{ a + 1 }}{% endmacro %}{{ m() }}", {}),
 ("{{ 'a' + d }}", {"d": {"a": 1}}),
 ("{{ [1] + 2 }}", {}),
 ("{{ 1 + 'a' }}", {}),
 ("{{ l|map('upper')|length }}", {"l": ["a"]}),
 ("{{ raise_exception('custom: stop') }}", {}),
]

def context_for(name):
    ctx = json.loads(json.dumps(CONVERSATIONS[name]))
    ctx["bos_token"] = "<s>"
    ctx["eos_token"] = "</s>"
    return ctx


def render(env, source, name):
    try:
        return env.from_string(source).render(**context_for(name))
    except Exception as error:  # jinja2 errors and template-raised exceptions alike
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", default=DEFAULT_DIR)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--render")
    ap.add_argument("--conversation", default="system_user")
    args = ap.parse_args()
    env = make_environment()
    if args.render:
        with open(args.render, encoding="utf-8") as f:
            result = render(env, f.read(), args.conversation)
        sys.stdout.write(result if isinstance(result, str) else json.dumps(result) + "\n")
        return
    fixtures = {"conversations": {n: context_for(n) for n in CONVERSATIONS}, "expected": {}}
    for file in sorted(os.listdir(args.templates)):
        if not file.endswith(".jinja"):
            continue
        with open(os.path.join(args.templates, file), encoding="utf-8") as f:
            source = f.read()
        fixtures["expected"][file] = {n: render(env, source, n) for n in CONVERSATIONS}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fixtures, f, ensure_ascii=False, indent=1)
        f.write("\n")
    semantics = []
    for source, context in SEMANTIC_CASES:
        try:
            expected = env.from_string(source).render(**context)
        except Exception as error:
            expected = {"error": f"{type(error).__name__}: {error}"}
        semantics.append({"source": source, "context": context, "expected": expected})
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), "semantics.json"), "w", encoding="utf-8") as f:
        json.dump(semantics, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum(isinstance(v, dict) for t in fixtures["expected"].values() for v in t.values())
    total = sum(len(t) for t in fixtures["expected"].values())
    print(f"{len(fixtures['expected'])} templates, {total} pairs, {errors} raised in jinja2")


if __name__ == "__main__":
    main()
