import Foundation
import PendraEngine

/// An /api/chat or /api/generate body, translated to the internal ChatRequest.
struct OllamaRequest {
    enum Kind: Sendable { case chat, generate }

    var kind: Kind
    var chat: ChatRequest
    var stream: Bool
    /// Seconds to keep the model loaded after this request; 0 unloads it
    /// after the reply, negative keeps it; nil: the config's keep-alive.
    var keepAlive: Double?
    /// No prompt and no messages: Ollama's way to load (or, with
    /// `keep_alive: 0`, unload) a model without generating.
    var loadOnly: Bool
    /// Options accepted without effect (logged).
    var ignoredOptions: [String]

    static let roles: Set<String> = ["system", "user", "assistant", "tool"]

    static let rawRefusal = "This worker runs the in-process llama.cpp backend, which does not serve raw text completions: /api/generate with raw or suffix is refused. Send the prompt without them to have it rendered through the model's chat template as a user turn, or use /api/chat."

    static func parse(_ body: RequestBody, kind: Kind) throws(APIError) -> OllamaRequest {
        let model = try body.string("model", required: true)!
        var messages: [ChatMessage] = []
        switch kind {
        case .generate:
            // The same rule as /v1/completions: no raw completions in process.
            if try body.bool("raw") == true { throw .unsupportedMediaType(rawRefusal) }
            if let suffix = try body.string("suffix"), !suffix.isEmpty { throw .unsupportedMediaType(rawRefusal) }
            if let t = try body.string("template"), !t.isEmpty {
                throw body.invalid("template", "template overrides are not supported; the model's own chat template is used")
            }
            try refuseImages(body)
            if let system = try body.string("system"), !system.isEmpty {
                messages.append(ChatMessage(role: "system", content: system))
            }
            if let prompt = try body.string("prompt"), !prompt.isEmpty {
                messages.append(ChatMessage(role: "user", content: prompt))
            }
            // A bare system prompt is not a request to generate.
            if !messages.contains(where: { $0.role == "user" }) { messages = [] }
        case .chat:
            for (i, raw) in (try body.array("messages") ?? []).enumerated() {
                guard let o = raw.object else { throw body.wrongType("messages[\(i)]", "an object", raw) }
                messages.append(try message(body.nested(o, at: "messages[\(i)]")))
            }
        }
        let options = try OllamaOptions.parse(body)
        let tools = kind == .chat ? try OpenAITools.parseTools(body) : []
        var chat = ChatRequest(model: model, messages: messages, tools: tools, toolChoice: .auto,
                               responseFormat: try format(body), sampling: options.sampling,
                               maxTokens: options.maxTokens, stop: options.stop)
        chat.reasoning = try thinking(body)
        return OllamaRequest(kind: kind, chat: chat, stream: try body.bool("stream") ?? true,
                             keepAlive: try keepAlive(body), loadOnly: messages.isEmpty,
                             ignoredOptions: options.ignored)
    }

    static func message(_ m: RequestBody) throws(APIError) -> ChatMessage {
        let role = try m.string("role", required: true)!
        guard roles.contains(role) else { throw m.invalid("role", "'\(role)' is not one of system, user, assistant, tool") }
        try refuseImages(m)
        var msg = ChatMessage(role: role, content: try m.string("content") ?? "")
        msg.name = try m.string("tool_name")
        msg.toolCalls = try OpenAITools.parseCalls(m)
        return msg
    }

    static func refuseImages(_ b: RequestBody) throws(APIError) {
        if let images = try b.array("images"), !images.isEmpty {
            throw .badRequest("This model cannot read images (\(b.path)images); Pendra loads no vision projector", param: b.path + "images")
        }
    }

    /// `format`: "" (text), "json", or a JSON Schema object.
    static func format(_ body: RequestBody) throws(APIError) -> ResponseFormat {
        guard let v = body.raw("format") else { return .text }
        if let s = v.string {
            switch s {
            case "": return .text
            case "json": return .jsonObject
            default: throw body.invalid("format", "'\(s)' is not \"json\" or a JSON Schema object")
            }
        }
        guard v.object != nil else { throw body.wrongType("format", "\"json\" or a JSON Schema object", v) }
        return .jsonSchema(v)
    }

    /// `keep_alive`: seconds as a number, or a Go duration ("5m", "1h30m", "0", "-1").
    static func keepAlive(_ body: RequestBody) throws(APIError) -> Double? {
        guard let v = body.raw("keep_alive") else { return nil }
        if let d = v.double { return d }
        guard let s = v.string, let seconds = OllamaDuration.seconds(s) else {
            throw body.invalid("keep_alive", "expected seconds or a duration such as \"5m\", \"1h\", \"0\" or \"-1\"")
        }
        return seconds
    }
}

/// Go's duration syntax, as Ollama parses `keep_alive`.
enum OllamaDuration {
    static let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]

    static func seconds(_ text: String) -> Double? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if let plain = Double(s) { return plain }
        var sign = 1.0
        if s.first == "-" { sign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let n = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !$0.isNumber && $0 != "." }
            guard let scale = units.first(where: { $0.0 == unit })?.1 else { return nil }
            s = s.dropFirst(unit.count)
            total += n * scale
        }
        return sign * total
    }

}

extension OllamaRequest {
    /// `think`: true or an effort ("low" / "medium" / "high", gpt-oss) turns
    /// reasoning on, false off; absent leaves the template's default.
    static func thinking(_ body: RequestBody) throws(APIError) -> ReasoningMode {
        guard let raw = body.raw("think"), !raw.isNull else { return .auto }
        if let b = raw.bool { return b ? .enabled(budget: nil) : .disabled }
        if let s = raw.string, ["low", "medium", "high"].contains(s) { return .enabled(budget: nil) }
        throw body.wrongType("think", "true, false, or \"low\", \"medium\" or \"high\"", raw)
    }
}
