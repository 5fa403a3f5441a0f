/// DeepSeek V3.2 / V4 DSML blocks and Functionary v3.2's `>>>` messages.
extension ToolCallParser {
    static let dsml = "｜DSML｜"
    static let dsmlOpen = Array("<\(dsml)".utf8)
    static let functionaryV32Marker = Array(">>>".utf8)

    /// Each `<｜DSML｜function_calls>` block holds one or more invokes; text
    /// around blocks is content. `string="true"` values are text, others
    /// JSON (typed by the schema when the attribute is missing).
    func parseDSML(_ bytes: [UInt8], block: String, tools: [ChatTool]) -> (content: String, calls: [ChatToolCall]) {
        let open = Array("<\(Self.dsml)\(block)>".utf8), close = Array("</\(Self.dsml)\(block)>".utf8)
        var content = ""
        var calls: [ChatToolCall] = []
        var i = 0
        while let start = JSONExtent.find(open, in: bytes, from: i) {
            content += JSONExtent.text(bytes, i..<start)
            guard let end = JSONExtent.find(close, in: bytes, from: start + open.count) else {
                i = start
                break
            }
            let after = end + close.count
            if let found = dsmlInvokes(JSONExtent.text(bytes, (start + open.count)..<end), tools: tools) {
                calls += found
            } else {
                content += JSONExtent.text(bytes, start..<after)
            }
            i = after
        }
        content += JSONExtent.text(bytes, i..<bytes.count)
        return (Self.trimmed(content), calls)
    }

    private func dsmlInvokes(_ body: String, tools: [ChatTool]) -> [ChatToolCall]? {
        let d = Self.dsml
        var calls: [ChatToolCall] = []
        var rest = Substring(body)
        while let open = rest.range(of: "<\(d)invoke name=\"") {
            guard Self.trimmed(String(rest[..<open.lowerBound])).isEmpty,
                  let q = rest.range(of: "\">", range: open.upperBound..<rest.endIndex),
                  let end = rest.range(of: "</\(d)invoke>", range: q.upperBound..<rest.endIndex) else { return nil }
            let name = String(rest[open.upperBound..<q.lowerBound])
            guard let tool = tools.first(where: { $0.name == name }) else { return nil }
            var arguments = JSONObject()
            var params = rest[q.upperBound..<end.lowerBound]
            while let p = params.range(of: "<\(d)parameter name=\"") {
                guard let pq = params.range(of: "\"", range: p.upperBound..<params.endIndex),
                      let gt = params.range(of: ">", range: pq.upperBound..<params.endIndex),
                      let pe = params.range(of: "</\(d)parameter>", range: gt.upperBound..<params.endIndex) else { return nil }
                let key = String(params[p.upperBound..<pq.lowerBound])
                let attributes = params[pq.upperBound..<gt.lowerBound]
                let raw = String(params[gt.upperBound..<pe.lowerBound])
                if attributes.contains("string=\"true\"") {
                    arguments[key] = .string(raw)
                } else if attributes.contains("string=\"false\""), let v = try? JSON.parse(raw) {
                    arguments[key] = v
                } else {
                    arguments[key] = Self.xmlValue(raw, schema: tool.parameters["properties"]?[key])
                }
                params = params[pe.upperBound...]
            }
            guard Self.trimmed(String(params)).isEmpty else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: name, arguments: JSON.object(arguments).serialized))
            rest = rest[end.upperBound...]
        }
        guard !calls.isEmpty, Self.trimmed(String(rest)).isEmpty else { return nil }
        return calls
    }

    /// The reply continues the prompt's `>>>`: messages `RECIPIENT\nBODY`
    /// separated by `>>>`. Recipient `all` is content; an offered tool's
    /// body is its JSON arguments. Any other recipient (`python`) or a body
    /// that is not one JSON object: no calls at all.
    func parseFunctionaryV32(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        let marker = Self.functionaryV32Marker
        var content = ""
        var calls: [ChatToolCall] = []
        var i = JSONExtent.hasMarker(bytes, marker, at: 0) ? marker.count : 0
        while i < bytes.count {
            guard let nl = bytes[i...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let recipient = Self.trimmed(JSONExtent.text(bytes, i..<nl))
            if recipient == "all" {
                let end = JSONExtent.find(marker, in: bytes, from: nl + 1) ?? bytes.count
                content += JSONExtent.text(bytes, (nl + 1)..<end)
                i = end == bytes.count ? end : end + marker.count
                continue
            }
            let start = JSONExtent.skipSpace(bytes, from: nl + 1)
            guard names.contains(recipient), let (value, end) = Self.object(in: bytes, at: start),
                  let arguments = Self.arguments(value) else { return nil }
            calls.append(ChatToolCall(id: makeID(), name: recipient, arguments: arguments))
            i = JSONExtent.skipSpace(bytes, from: end)
            if i == bytes.count { break }
            guard JSONExtent.hasMarker(bytes, marker, at: i) else { return nil }
            i += marker.count
        }
        return (Self.trimmed(content), calls)
    }
}
