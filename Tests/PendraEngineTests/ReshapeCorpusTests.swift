import Foundation
import PendraJinja
import XCTest
@testable import PendraEngine

/// Claude-Code- and Codex-shaped conversations on every chat template in
/// llama.cpp's corpus, through ChatTemplate and ConversationReshaper as
/// ChatEngine.prepare uses them. Fixtures/reshape_corpus.json is written by
/// scripts/reshape_reference.py, an independent Python implementation of the
/// same rules rendering with jinja2: for every pair both must pick the same
/// level (the first that renders with every system and developer text in
/// it), reshape to the same messages and render the same bytes. A pair that
/// renders at no level must be listed below with its reason, and must fail
/// with the error of the conversation as sent (the template's own message).
final class ReshapeCorpusTests: XCTestCase {
    /// 2025-01-02 03:04:05 UTC, jinja_reference.py's FIXED_DATE.
    static let fixedDate = Date(timeIntervalSince1970: 1_735_787_045)

    /// Template (and conversation, or every conversation with tools) that
    /// cannot render at any level, and why reshaping cannot help.
    static let cannotRender: [(template: String, conversations: Set<String>?, reason: String)] = [
        ("fireworks-ai-llama-3-firefunction-v2.jinja", nil,
         "reads a `functions` variable that Hugging Face's context does not define; raises on every conversation"),
        ("CohereForAI-c4ai-command-r-plus-tool_use.jinja", withTools,
         "expects Cohere's own tool schema (tool.description, parameter_definitions), not OpenAI function tools"),
        ("llama-cpp-deepseek-r1.jinja", withTools,
         "pipes a generator into tojson when tools are given; jinja2 raises, and so does Pendra"),
    ]
    static let withTools: Set<String> = ["cc_late_system", "cc_late_system_next_turn", "cc_tool_loop",
                                         "cc_parallel_prefill", "codex_first_turn", "codex_tool_loop"]

    static func listed(_ template: String, _ conversation: String) -> Bool {
        cannotRender.contains { $0.template == template && ($0.conversations?.contains(conversation) ?? true) }
    }

    func testEveryTemplateRendersClientConversations() throws {
        let directory = URL(fileURLWithPath: GGUFTestEnvironment.llamaSource).appendingPathComponent("models/templates")
        guard FileManager.default.fileExists(atPath: directory.path) else {
            return XCTFail("llama.cpp templates not found at \(directory.path); run `make deps` or set PENDRA_LLAMA_SRC")
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reshape_corpus.json")
        let fixture = Self.json(try JinjaValue(jsonText: try String(contentsOf: url, encoding: .utf8)))
        guard let conversations = fixture["conversations"]?.object, let expected = fixture["expected"]?.object else {
            return XCTFail("reshape_corpus.json lacks conversations / expected")
        }
        var byLevel: [String: Int] = [:]
        var failures: [String] = []
        for (name, perConversation) in expected {
            let source = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let template = Result { () throws(ChatTemplateError) in try ChatTemplate(source: source, bosToken: "<s>", eosToken: "</s>") }
            for (conversation, want) in perConversation.object ?? [:] {
                let pair = "\(name) x \(conversation)"
                guard let c = conversations[conversation] else { failures.append("\(pair): no such conversation"); continue }
                let (messages, prefill) = Self.splitPrefill((c["messages"]?.array ?? []).map(Self.message))
                let tools = (c["tools"]?.array ?? []).map(Self.tool)
                var used: ConversationReshaper.Level?
                let got = Result { () throws(ChatTemplateError) -> String in
                    let r = try ConversationReshaper.firstRendering(of: messages) { (m) throws(ChatTemplateError) in
                        try template.get().render(messages: m, tools: tools, addGenerationPrompt: true, now: Self.fixedDate)
                    }
                    used = r.level
                    return r.text + prefill
                }
                byLevel[used.map { "level \($0.rawValue) \($0)" } ?? "cannot render", default: 0] += 1
                switch (want["level"]?.int, got) {
                case (let level?, .success(let text)):
                    if used?.rawValue != level { failures.append("\(pair): reshaped at \(String(describing: used)), jinja2 at level \(level)") }
                    if let w = want["render"]?.string, w != text {
                        failures.append("\(pair): render differs from jinja2's at \(Self.firstDifference(w, text))")
                    }
                    if let w = want["messages"]?.array, let used, w != ConversationReshaper.reshape(messages, to: used).map(Self.json) {
                        failures.append("\(pair): reshaped messages differ from the Python rules'")
                    }
                case (let level?, .failure(let error)):
                    failures.append("\(pair): jinja2 renders at level \(level), Pendra raised \(error)")
                case (nil, .success):
                    failures.append("\(pair): jinja2 cannot render it at any level, Pendra did")
                case (nil, .failure(let error)):
                    if !Self.listed(name, conversation) { failures.append("\(pair): cannot render and not listed: \(error)") }
                    // The error is the one the conversation as sent gets, not a reshaped one's.
                    let asSent = Result { () throws(ChatTemplateError) in
                        try template.get().render(messages: messages, tools: tools, addGenerationPrompt: true, now: Self.fixedDate)
                    }
                    if case .failure(let first) = asSent, first.description != error.description {
                        failures.append("\(pair): answered \(error), not the error as sent (\(first))")
                    }
                }
            }
        }
        for (name, _) in expected {
            for entry in Self.cannotRender where entry.template == name {
                for conversation in entry.conversations ?? Set(conversations.map(\.key)) where expected[name]?[conversation]?["level"]?.int != nil {
                    failures.append("\(name) x \(conversation) is listed as unrenderable but renders: drop it from the list")
                }
            }
        }
        print("Reshape corpus: " + byLevel.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        for failure in failures { print("  FAIL \(failure)") }
        XCTAssertEqual(byLevel.values.reduce(0, +), expected.count * conversations.count)
        XCTAssertGreaterThanOrEqual(expected.count, 70)
        XCTAssertTrue(failures.isEmpty, "\(failures.count) pairs differ; see the log")
    }

    /// ChatEngine.prepare's prefill rule: a final assistant text is continued.
    static func splitPrefill(_ messages: [ChatMessage]) -> ([ChatMessage], String) {
        guard messages.count > 1, let last = messages.last, last.role == "assistant", last.toolCalls.isEmpty,
              !last.content.isEmpty else { return (messages, "") }
        return (Array(messages.dropLast()), last.content)
    }

    static func message(_ j: JSON) -> ChatMessage {
        ChatMessage(role: j["role"]?.string ?? "", content: j["content"]?.string ?? "",
                    toolCalls: (j["tool_calls"]?.array ?? []).map {
                        ChatToolCall(id: $0["id"]?.string ?? "", name: $0["name"]?.string ?? "", arguments: $0["arguments"]?.string ?? "")
                    },
                    toolCallID: j["tool_call_id"]?.string, name: j["name"]?.string)
    }

    /// The fixture's message form, keys in the order the Python script writes them.
    static func json(_ m: ChatMessage) -> JSON {
        var o: JSONObject = ["role": .string(m.role), "content": .string(m.content)]
        if !m.toolCalls.isEmpty {
            o["tool_calls"] = .array(m.toolCalls.map { ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)] })
        }
        if let id = m.toolCallID { o["tool_call_id"] = .string(id) }
        if let n = m.name { o["name"] = .string(n) }
        return .object(o)
    }

    /// JSON.parse sorts object keys (Foundation); jinja2 sees them in the
    /// file's order, and so must the templates here.
    static func json(_ v: JinjaValue) -> JSON {
        switch v {
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(json))
        case .object(let o):
            .object(o.pairs.reduce(into: JSONObject()) { $0[$1.key] = json($1.value) })
        default: .null
        }
    }

    static func tool(_ j: JSON) -> ChatTool {
        ChatTool(name: j["name"]?.string ?? "", description: j["description"]?.string, parameters: j["parameters"] ?? .null)
    }

    static func firstDifference(_ want: String, _ got: String) -> String {
        let a = Array(want.unicodeScalars), b = Array(got.unicodeScalars)
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        func window(_ s: [Unicode.Scalar]) -> String {
            String(String.UnicodeScalarView(s[max(0, i - 20)..<min(s.count, i + 40)])).debugDescription
        }
        return "offset \(i): expected \(window(a)) got \(window(b))"
    }
}
