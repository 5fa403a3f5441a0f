import PendraJSON

/// A Messages request shaped like the ones Claude Code sends late in a
/// session: a system prompt in cache-controlled blocks, a dozen tools with
/// JSON Schemas, and a long history of text, tool_use and tool_result blocks
/// whose results are source files and command output (newlines, quotes,
/// backslashes, non-ASCII). Deterministic: the same size gives the same bytes.
struct ClaudeCodeBody {
    private var seed: UInt64 = 0x9E37_79B9_7F4A_7C15

    private mutating func next(_ n: Int) -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((seed >> 33) % UInt64(n))
    }

    private static let words = ["func", "let", "return", "guard", "self", "value", "request", "model", "token",
                                "cache", "error", "stream", "parse", "café", "naïve", "→", "✓", "日本", "😀"]

    private mutating func line() -> String {
        let indent = String(repeating: " ", count: 4 * next(4))
        let body = (0..<(3 + next(9))).map { _ in Self.words[next(Self.words.count)] }.joined(separator: " ")
        switch next(6) {
        case 0: return indent + "print(\"\(body)\\n\")"
        case 1: return indent + "// \(body)"
        case 2: return indent + "let path = \"C:\\\\src\\\\\(body.prefix(8))\"\t// tab"
        default: return indent + body
        }
    }

    private mutating func file(lines: Int) -> String {
        (0..<lines).map { "\($0 + 1)\t" + line() }.joined(separator: "\n")
    }

    private static func schema(_ properties: [(String, String)], required: [String]) -> JSON {
        var props = JSONObject()
        for (name, description) in properties { props[name] = ["type": "string", "description": .string(description)] }
        return ["type": "object", "properties": .object(props), "required": .array(required.map { .string($0) }),
                "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"]
    }

    private static var tools: [JSON] {
        let names = ["Task", "Bash", "Glob", "Grep", "LS", "Read", "Edit", "MultiEdit", "Write", "NotebookEdit",
                     "WebFetch", "TodoWrite", "WebSearch", "BashOutput", "KillShell"]
        return names.map { name in
            let description = String(repeating: "Use \(name) when the task calls for it; read the notes first. ", count: 30)
            return ["name": .string(name), "description": .string(description),
                    "input_schema": schema([("command", "The command to run"), ("description", "What it does, in 5-10 words"),
                                            ("timeout", "Optional timeout in milliseconds"), ("path", "Absolute path")],
                                           required: ["command"])]
        }
    }

    /// A body of at least `bytes` bytes of compact JSON, as JavaScript's JSON.stringify writes it.
    mutating func make(bytes target: Int) -> [UInt8] {
        var messages: [JSON] = []
        var body: JSON = [:]
        var turn = 0
        while true {
            let id = "toolu_01" + String(turn, radix: 36) + "AbCdEfGhIjKlMnOpQr"
            messages.append(["role": "user", "content": [
                ["type": "text", "text": .string("Please look at step \(turn): " + line())],
            ]])
            messages.append(["role": "assistant", "content": [
                ["type": "text", "text": .string("I'll check that. " + line())],
                ["type": "tool_use", "id": .string(id), "name": "Bash",
                 "input": ["command": .string("grep -rn \"\(Self.words[turn % Self.words.count])\" Sources/ | head -50"),
                           "description": "Search the sources"]],
            ]])
            let result: JSON = turn % 3 == 0
                ? .string(file(lines: 40 + next(80)))
                : [["type": "text", "text": .string(file(lines: 20 + next(60)))]]
            messages.append(["role": "user", "content": [
                ["type": "tool_result", "tool_use_id": .string(id), "content": result, "is_error": false],
            ]])
            turn += 1
            guard turn % 8 == 0 else { continue }
            body = [
                "model": "claude-sonnet-4-5-20250929", "max_tokens": 32000, "stream": true,
                "system": [["type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.",
                            "cache_control": ["type": "ephemeral"]],
                           ["type": "text", "text": .string(String(repeating: "Follow the repository's conventions. ", count: 300))]],
                "tools": .array(Self.tools), "messages": .array(messages),
                "metadata": ["user_id": "user_0123456789abcdef_account__session_00000000-0000-0000-0000-000000000000"],
            ]
            if body.serialized.utf8.count >= target { break }
        }
        return body.bytes
    }
}
