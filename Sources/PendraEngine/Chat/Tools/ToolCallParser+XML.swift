/// Qwen3-Coder's XML calls. Values are raw text between the parameter tags;
/// a value is kept as a string when the tool's schema says string (or says
/// nothing), else read as JSON when it parses, so `42` becomes a number
/// only where a number was asked for. Keys stay in the order written.
extension ToolCallParser {
    static let xmlFunctionOpen = Array("<function=".utf8)
    static let xmlFunctionClose = Array("</function>".utf8)
    static let xmlParameterOpen = Array("<parameter=".utf8)
    static let xmlParameterClose = Array("</parameter>".utf8)

    /// Like Hermes: each `<tool_call>` block stands alone; text around is content.
    func parseQwenXML(_ bytes: [UInt8], tools: [ChatTool]) -> (content: String, calls: [ChatToolCall]) {
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
            if let call = xmlCall(bytes, open + Self.hermesOpen.count..<close, tools: tools) {
                calls.append(call)
            } else {
                content += JSONExtent.text(bytes, open..<after)
            }
            i = after
        }
        content += JSONExtent.text(bytes, i..<bytes.count)
        return (Self.trimmed(content), calls)
    }

    /// `<function=NAME>` parameters `</function>`, inside one block.
    private func xmlCall(_ bytes: [UInt8], _ range: Range<Int>, tools: [ChatTool]) -> ChatToolCall? {
        let body = Array(bytes[range])
        var i = JSONExtent.skipSpace(body, from: 0)
        guard JSONExtent.hasMarker(body, Self.xmlFunctionOpen, at: i),
              let gt = body[(i + Self.xmlFunctionOpen.count)...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let name = Self.trimmed(JSONExtent.text(body, (i + Self.xmlFunctionOpen.count)..<gt))
        guard let tool = tools.first(where: { $0.name == name }) else { return nil }
        let properties = tool.parameters["properties"]
        var arguments = JSONObject()
        i = JSONExtent.skipSpace(body, from: gt + 1)
        while JSONExtent.hasMarker(body, Self.xmlParameterOpen, at: i) {
            let keyStart = i + Self.xmlParameterOpen.count
            guard let keyEnd = body[keyStart...].firstIndex(of: UInt8(ascii: ">")),
                  let valueEnd = JSONExtent.find(Self.xmlParameterClose, in: body, from: keyEnd + 1) else { return nil }
            let key = Self.trimmed(JSONExtent.text(body, keyStart..<keyEnd))
            var raw = JSONExtent.text(body, (keyEnd + 1)..<valueEnd)
            if raw.hasPrefix("\n") { raw.removeFirst() }
            if raw.hasSuffix("\n") { raw.removeLast() }
            arguments[key] = Self.xmlValue(raw, schema: properties?[key])
            i = JSONExtent.skipSpace(body, from: valueEnd + Self.xmlParameterClose.count)
        }
        guard JSONExtent.hasMarker(body, Self.xmlFunctionClose, at: i),
              JSONExtent.skipSpace(body, from: i + Self.xmlFunctionClose.count) == body.count else { return nil }
        return ChatToolCall(id: makeID(), name: name, arguments: JSON.object(arguments).serialized)
    }

    static func xmlValue(_ raw: String, schema: JSON?) -> JSON {
        let type = schema?["type"]?.string
        if type == nil || type == "string" { return .string(raw) }
        return (try? JSON.parse(raw)) ?? .string(raw)
    }
}
