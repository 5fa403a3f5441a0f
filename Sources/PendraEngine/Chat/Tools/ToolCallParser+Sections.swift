import Foundation

/// Formats whose calls sit between special-token markers: DeepSeek, Kimi-K2
/// and GLM. As everywhere, a call counts only when complete and naming an
/// offered tool; text before the first call is content.
extension ToolCallParser {
    static let deepseekSectionBegin = Array("<｜tool▁calls▁begin｜>".utf8)
    static let deepseekSectionEnd = Array("<｜tool▁calls▁end｜>".utf8)
    static let deepseekCallBegin = Array("<｜tool▁call▁begin｜>".utf8)
    static let deepseekCallEnd = Array("<｜tool▁call▁end｜>".utf8)
    static let deepseekSep = Array("<｜tool▁sep｜>".utf8)
    static let kimiSectionBegin = Array("<|tool_calls_section_begin|>".utf8)
    static let kimiSectionEnd = Array("<|tool_calls_section_end|>".utf8)
    static let kimiCallBegin = Array("<|tool_call_begin|>".utf8)
    static let kimiArgs = Array("<|tool_call_argument_begin|>".utf8)
    static let kimiCallEnd = Array("<|tool_call_end|>".utf8)

    /// Everything from the first call marker on must be calls (the section
    /// markers around them are optional: R1 distills often drop them).
    func parseDeepSeek(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        guard let first = JSONExtent.find(Self.deepseekCallBegin, in: bytes, from: 0) else { return nil }
        var contentEnd = first
        if let s = JSONExtent.find(Self.deepseekSectionBegin, in: bytes, from: 0), s < first { contentEnd = s }
        var calls: [ChatToolCall] = []
        var i = first
        while JSONExtent.hasMarker(bytes, Self.deepseekCallBegin, at: i) {
            let start = i + Self.deepseekCallBegin.count
            guard let sep = JSONExtent.find(Self.deepseekSep, in: bytes, from: start) else { return nil }
            var name = Self.trimmed(JSONExtent.text(bytes, start..<sep))
            var j = sep + Self.deepseekSep.count
            var fenced = false
            if name == "function" {
                // R1: function<｜tool▁sep｜>NAME\n```json\n{...}\n```
                guard let nl = bytes[j...].firstIndex(of: 0x0A) else { return nil }
                name = Self.trimmed(JSONExtent.text(bytes, j..<nl))
                j = JSONExtent.skipSpace(bytes, from: nl)
                let fence = Array("```json".utf8)
                if JSONExtent.hasMarker(bytes, fence, at: j) { j += fence.count; fenced = true }
            }
            j = JSONExtent.skipSpace(bytes, from: j)
            guard names.contains(name), let (value, end) = Self.object(in: bytes, at: j),
                  let arguments = Self.arguments(value) else { return nil }
            j = JSONExtent.skipSpace(bytes, from: end)
            if fenced {
                guard JSONExtent.hasMarker(bytes, Array("```".utf8), at: j) else { return nil }
                j = JSONExtent.skipSpace(bytes, from: j + 3)
            }
            guard JSONExtent.hasMarker(bytes, Self.deepseekCallEnd, at: j) else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: name, arguments: arguments))
            i = JSONExtent.skipSpace(bytes, from: j + Self.deepseekCallEnd.count)
        }
        if JSONExtent.hasMarker(bytes, Self.deepseekSectionEnd, at: i) { i = JSONExtent.skipSpace(bytes, from: i + Self.deepseekSectionEnd.count) }
        guard i == bytes.count else { return nil }
        return (Self.trimmed(JSONExtent.text(bytes, 0..<contentEnd)), calls)
    }

    /// `functions.NAME:INDEX` then the arguments; the model's own id is dropped.
    func parseKimi(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        guard let first = JSONExtent.find(Self.kimiCallBegin, in: bytes, from: 0) else { return nil }
        var contentEnd = first
        if let s = JSONExtent.find(Self.kimiSectionBegin, in: bytes, from: 0), s < first { contentEnd = s }
        var calls: [ChatToolCall] = []
        var i = first
        while JSONExtent.hasMarker(bytes, Self.kimiCallBegin, at: i) {
            let start = i + Self.kimiCallBegin.count
            guard let args = JSONExtent.find(Self.kimiArgs, in: bytes, from: start) else { return nil }
            var id = Self.trimmed(JSONExtent.text(bytes, start..<args))
            if id.hasPrefix("functions.") { id.removeFirst("functions.".count) }
            let name = id.split(separator: ":").first.map(String.init) ?? id
            let j = JSONExtent.skipSpace(bytes, from: args + Self.kimiArgs.count)
            guard names.contains(name), let (value, end) = Self.object(in: bytes, at: j),
                  let arguments = Self.arguments(value) else { return nil }
            let close = JSONExtent.skipSpace(bytes, from: end)
            guard JSONExtent.hasMarker(bytes, Self.kimiCallEnd, at: close) else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: name, arguments: arguments))
            i = JSONExtent.skipSpace(bytes, from: close + Self.kimiCallEnd.count)
        }
        if JSONExtent.hasMarker(bytes, Self.kimiSectionEnd, at: i) { i = JSONExtent.skipSpace(bytes, from: i + Self.kimiSectionEnd.count) }
        guard i == bytes.count else { return nil }
        return (Self.trimmed(JSONExtent.text(bytes, 0..<contentEnd)), calls)
    }

    /// GLM: each `<tool_call>` block stands alone (like Hermes); values are
    /// typed by the tool's schema as in Qwen's XML.
    func parseGLM(_ bytes: [UInt8], tools: [ChatTool]) -> (content: String, calls: [ChatToolCall]) {
        var content = ""
        var calls: [ChatToolCall] = []
        var i = 0
        while let open = JSONExtent.find(Self.hermesOpen, in: bytes, from: i) {
            content += JSONExtent.text(bytes, i..<open)
            guard let close = JSONExtent.find(Self.hermesClose, in: bytes, from: open + Self.hermesOpen.count) else {
                i = open
                break
            }
            let after = close + Self.hermesClose.count
            if let call = glmCall(JSONExtent.text(bytes, (open + Self.hermesOpen.count)..<close), tools: tools) {
                calls.append(call)
            } else {
                content += JSONExtent.text(bytes, open..<after)
            }
            i = after
        }
        content += JSONExtent.text(bytes, i..<bytes.count)
        return (Self.trimmed(content), calls)
    }

    private func glmCall(_ body: String, tools: [ChatTool]) -> ChatToolCall? {
        let nameEnd = body.range(of: "<arg_key>")?.lowerBound ?? body.endIndex
        let name = Self.trimmed(String(body[..<nameEnd]))
        guard let tool = tools.first(where: { $0.name == name }) else { return nil }
        var arguments = JSONObject()
        var rest = body[nameEnd...]
        while let k = rest.range(of: "<arg_key>") {
            guard let ke = rest.range(of: "</arg_key>", range: k.upperBound..<rest.endIndex),
                  let v = rest.range(of: "<arg_value>", range: ke.upperBound..<rest.endIndex),
                  let ve = rest.range(of: "</arg_value>", range: v.upperBound..<rest.endIndex),
                  Self.trimmed(String(rest[ke.upperBound..<v.lowerBound])).isEmpty else { return nil }
            let key = Self.trimmed(String(rest[k.upperBound..<ke.lowerBound]))
            arguments[key] = Self.xmlValue(String(rest[v.upperBound..<ve.lowerBound]), schema: tool.parameters["properties"]?[key])
            rest = rest[ve.upperBound...]
        }
        guard Self.trimmed(String(rest)).isEmpty else { return nil }
        return ChatToolCall(id: makeID(), name: name, arguments: JSON.object(arguments).serialized)
    }
}
