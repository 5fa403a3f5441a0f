import Foundation

/// Command R7B, Granite, Functionary v3.1 and MiniMax-M2 calls. Everything
/// from the first call marker on must be calls (else the whole reply is
/// text), except MiniMax's blocks, which stand alone like Hermes'.
extension ToolCallParser {
    static let commandAction = Array("<|START_ACTION|>".utf8)
    static let commandActionEnd = Array("<|END_ACTION|>".utf8)
    static let graniteTag = Array("<|tool_call|>".utf8)
    static let functionaryOpen = Array("<function=".utf8)
    static let functionaryClose = Array("</function>".utf8)
    static let minimaxOpen = Array("<minimax:tool_call>".utf8)
    static let minimaxClose = Array("</minimax:tool_call>".utf8)

    /// `[{"tool_call_id": "0", "tool_name": ..., "parameters": {...}}]`.
    func parseCommandR7B(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        guard let m = JSONExtent.find(Self.commandAction, in: bytes, from: 0) else { return nil }
        let start = JSONExtent.skipSpace(bytes, from: m + Self.commandAction.count)
        guard let end = JSONExtent.end(in: bytes, from: start), let items = (try? JSON.parse(Array(bytes[start..<end])))?.array,
              !items.isEmpty else { return nil }
        var calls: [ChatToolCall] = []
        for item in items {
            guard let name = item["tool_name"]?.string, names.contains(name),
                  let arguments = Self.arguments(item["parameters"]) else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: name, arguments: arguments))
        }
        var i = JSONExtent.skipSpace(bytes, from: end)
        if JSONExtent.hasMarker(bytes, Self.commandActionEnd, at: i) { i = JSONExtent.skipSpace(bytes, from: i + Self.commandActionEnd.count) }
        guard i == bytes.count else { return nil }
        return (Self.trimmed(JSONExtent.text(bytes, 0..<m)), calls)
    }

    /// `<|tool_call|>[{"name": ..., "arguments": {...}}]`.
    func parseGranite(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        guard let m = JSONExtent.find(Self.graniteTag, in: bytes, from: 0) else { return nil }
        let start = JSONExtent.skipSpace(bytes, from: m + Self.graniteTag.count)
        guard let end = JSONExtent.end(in: bytes, from: start), let items = (try? JSON.parse(Array(bytes[start..<end])))?.array,
              !items.isEmpty, JSONExtent.skipSpace(bytes, from: end) == bytes.count else { return nil }
        var calls: [ChatToolCall] = []
        for item in items {
            guard let call = call(from: item, names: names) else { return nil }
            calls.append(call)
        }
        return (Self.trimmed(JSONExtent.text(bytes, 0..<m)), calls)
    }

    /// `<function=NAME>{...}</function>` one after another.
    func parseFunctionary(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        guard let first = JSONExtent.find(Self.functionaryOpen, in: bytes, from: 0) else { return nil }
        var calls: [ChatToolCall] = []
        var i = first
        while JSONExtent.hasMarker(bytes, Self.functionaryOpen, at: i) {
            let nameStart = i + Self.functionaryOpen.count
            guard let gt = bytes[nameStart...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            let name = Self.trimmed(JSONExtent.text(bytes, nameStart..<gt))
            let start = JSONExtent.skipSpace(bytes, from: gt + 1)
            guard names.contains(name), let (value, end) = Self.object(in: bytes, at: start),
                  let arguments = Self.arguments(value) else { return nil }
            let close = JSONExtent.skipSpace(bytes, from: end)
            guard JSONExtent.hasMarker(bytes, Self.functionaryClose, at: close) else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: name, arguments: arguments))
            i = JSONExtent.skipSpace(bytes, from: close + Self.functionaryClose.count)
        }
        guard i == bytes.count else { return nil }
        return (Self.trimmed(JSONExtent.text(bytes, 0..<first)), calls)
    }

    /// Each `<minimax:tool_call>` block holds one or more `<invoke>`s; values
    /// are typed by the schema as in Qwen's XML.
    func parseMiniMax(_ bytes: [UInt8], tools: [ChatTool]) -> (content: String, calls: [ChatToolCall]) {
        var content = ""
        var calls: [ChatToolCall] = []
        var i = 0
        while let open = JSONExtent.find(Self.minimaxOpen, in: bytes, from: i) {
            content += JSONExtent.text(bytes, i..<open)
            guard let close = JSONExtent.find(Self.minimaxClose, in: bytes, from: open + Self.minimaxOpen.count) else {
                i = open
                break
            }
            let after = close + Self.minimaxClose.count
            if let found = invokes(JSONExtent.text(bytes, (open + Self.minimaxOpen.count)..<close), tools: tools) {
                calls += found
            } else {
                content += JSONExtent.text(bytes, open..<after)
            }
            i = after
        }
        content += JSONExtent.text(bytes, i..<bytes.count)
        return (Self.trimmed(content), calls)
    }

    private func invokes(_ body: String, tools: [ChatTool]) -> [ChatToolCall]? {
        var calls: [ChatToolCall] = []
        var rest = Substring(body)
        while let open = rest.range(of: "<invoke name=\"") {
            guard Self.trimmed(String(rest[..<open.lowerBound])).isEmpty,
                  let q = rest.range(of: "\">", range: open.upperBound..<rest.endIndex),
                  let end = rest.range(of: "</invoke>", range: q.upperBound..<rest.endIndex) else { return nil }
            let name = String(rest[open.upperBound..<q.lowerBound])
            guard let tool = tools.first(where: { $0.name == name }) else { return nil }
            var arguments = JSONObject()
            var params = rest[q.upperBound..<end.lowerBound]
            while let p = params.range(of: "<parameter name=\"") {
                guard let pq = params.range(of: "\">", range: p.upperBound..<params.endIndex),
                      let pe = params.range(of: "</parameter>", range: pq.upperBound..<params.endIndex) else { return nil }
                let key = String(params[p.upperBound..<pq.lowerBound])
                arguments[key] = Self.xmlValue(String(params[pq.upperBound..<pe.lowerBound]), schema: tool.parameters["properties"]?[key])
                params = params[pe.upperBound...]
            }
            guard Self.trimmed(String(params)).isEmpty else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: name, arguments: JSON.object(arguments).serialized))
            rest = rest[end.upperBound...]
        }
        guard !calls.isEmpty, Self.trimmed(String(rest)).isEmpty else { return nil }
        return calls
    }
}
