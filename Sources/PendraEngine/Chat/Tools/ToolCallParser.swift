/// Turns a finished reply into plain content plus the tool calls in it.
///
/// The rule throughout: a call is reported only when it is complete, valid
/// JSON and names one of the offered tools. Anything else (cut off mid-JSON,
/// an unclosed tag, an invented tool name) stays in the content as the model
/// wrote it, so the client sees what happened instead of a half call.
public struct ToolCallParser: Sendable {
    public typealias IDGenerator = @Sendable () -> String

    let makeID: IDGenerator

    /// `makeID` is injectable so tests can expect fixed ids.
    public init(makeID: @escaping IDGenerator = ToolCallParser.randomID) {
        self.makeID = makeID
    }

    private static let idAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// `call_` and 24 random alphanumerics, the shape OpenAI clients expect.
    @Sendable public static func randomID() -> String {
        var g = SystemRandomNumberGenerator()
        return "call_" + String((0..<24).map { _ in idAlphabet.randomElement(using: &g)! })
    }

    public func parse(_ text: String, format: ToolCallFormat, tools: [ChatTool]) -> (content: String, calls: [ChatToolCall]) {
        let names = Set(tools.map(\.name))
        guard !names.isEmpty else { return (text, []) }
        let bytes = Array(text.utf8)
        let found: (content: String, calls: [ChatToolCall])?
        switch format {
        case .hermes: found = parseHermes(bytes, names: names)
        case .llama3JSON: found = parseLlama3(bytes, names: names)
        case .mistral: found = parseMistral(bytes, names: names)
        case .qwenXML: found = parseQwenXML(bytes, tools: tools)
        case .deepseek: found = parseDeepSeek(bytes, names: names)
        case .kimiK2: found = parseKimi(bytes, names: names)
        case .glm: found = parseGLM(bytes, tools: tools)
        case .commandR7B: found = parseCommandR7B(bytes, names: names)
        case .granite: found = parseGranite(bytes, names: names)
        case .functionary: found = parseFunctionary(bytes, names: names)
        case .minimax: found = parseMiniMax(bytes, tools: tools)
        case .dsml(let block): found = parseDSML(bytes, block: block, tools: tools)
        case .functionaryV32: found = parseFunctionaryV32(bytes, names: names)
        case .none, .harmony: found = nil  // harmony calls are read by HarmonyParser
        }
        guard let found, !found.calls.isEmpty else { return (text, []) }
        return found
    }

    /// A call from `{"name": ..., <argumentsKey>: {...}}`, or nil when the
    /// object is not one. Llama 3 models write "parameters" but sometimes
    /// "arguments", so both keys are accepted everywhere.
    func call(from value: JSON, names: Set<String>) -> ChatToolCall? {
        guard case .object(let o) = value, let name = o["name"]?.string, names.contains(name) else { return nil }
        guard let arguments = Self.arguments(o["arguments"] ?? o["parameters"]) else { return nil }
        return ChatToolCall(id: makeID(), name: name, arguments: arguments)
    }

    /// Compact JSON text of an arguments object. Some models write the
    /// arguments as a JSON string holding the object (OpenAI's wire form);
    /// a call without arguments means a tool that takes none.
    static func arguments(_ value: JSON?) -> String? {
        switch value {
        case nil, .null?: return "{}"
        case .object?: return value!.serialized
        case .string(let s)?:
            guard let inner = try? JSON.parse(s), case .object = inner else { return nil }
            return inner.serialized
        default: return nil
        }
    }

    /// The object opening at `start`, parsed, and the index after it.
    static func object(in bytes: [UInt8], at start: Int) -> (value: JSON, end: Int)? {
        guard let end = JSONExtent.end(in: bytes, from: start),
              let value = try? JSON.parse(Array(bytes[start..<end])) else { return nil }
        return (value, end)
    }

    static func trimmed(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars
        while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() }
        while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
