/// One function per output format. Each returns nil (or no calls) when the
/// text is not a complete set of calls; `parse` then keeps the text as is.
extension ToolCallParser {
    static let hermesOpen = Array("<tool_call>".utf8)
    static let hermesClose = Array("</tool_call>".utf8)
    static let pythonTag = Array("<|python_tag|>".utf8)
    static let mistralMarker = Array("[TOOL_CALLS]".utf8)
    static let mistralArgs = Array("[ARGS]".utf8)
    static let mistralCallID = Array("[CALL_ID]".utf8)

    /// Each `<tool_call>` block stands alone: a valid one becomes a call, an
    /// invalid one stays in the content, text around blocks is content.
    func parseHermes(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall]) {
        var content = ""
        var calls: [ChatToolCall] = []
        var i = 0
        while let open = JSONExtent.find(Self.hermesOpen, in: bytes, from: i) {
            content += JSONExtent.text(bytes, i..<open)
            let start = JSONExtent.skipSpace(bytes, from: open + Self.hermesOpen.count)
            guard let (value, end) = Self.object(in: bytes, at: start) else {
                // Not JSON, or cut off: everything from the tag on is text.
                i = open
                break
            }
            let close = JSONExtent.skipSpace(bytes, from: end)
            guard JSONExtent.hasMarker(bytes, Self.hermesClose, at: close) else {
                i = open
                break
            }
            let after = close + Self.hermesClose.count
            if let call = call(from: value, names: names) {
                calls.append(call)
            } else {
                content += JSONExtent.text(bytes, open..<after)
            }
            i = after
        }
        content += JSONExtent.text(bytes, i..<bytes.count)
        return (Self.trimmed(content), calls)
    }

    /// The whole reply must be calls: `{...}` or `{...}; {...}`, optionally
    /// after `<|python_tag|>`. Any other text means it was an answer that
    /// happens to look like JSON, so nothing is taken.
    func parseLlama3(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        var i = JSONExtent.skipSpace(bytes, from: 0)
        if JSONExtent.hasMarker(bytes, Self.pythonTag, at: i) {
            i = JSONExtent.skipSpace(bytes, from: i + Self.pythonTag.count)
        }
        var calls: [ChatToolCall] = []
        while true {
            guard let (value, end) = Self.object(in: bytes, at: i), let call = call(from: value, names: names) else {
                return nil
            }
            calls.append(call)
            i = JSONExtent.skipSpace(bytes, from: end)
            if i == bytes.count { return ("", calls) }
            guard bytes[i] == UInt8(ascii: ";") else { return nil }
            i = JSONExtent.skipSpace(bytes, from: i + 1)
            // A trailing ";" after the last call is harmless.
            if i == bytes.count { return ("", calls) }
        }
    }

    /// Text before the first `[TOOL_CALLS]` is content; everything after it
    /// must be calls, in either the JSON-array form or the `name[ARGS]{...}`
    /// form (repeated `[TOOL_CALLS]` per call in the newer templates).
    func parseMistral(_ bytes: [UInt8], names: Set<String>) -> (content: String, calls: [ChatToolCall])? {
        guard let marker = JSONExtent.find(Self.mistralMarker, in: bytes, from: 0) else { return nil }
        var calls: [ChatToolCall] = []
        var i = marker + Self.mistralMarker.count
        while true {
            i = JSONExtent.skipSpace(bytes, from: i)
            guard let (found, end) = i < bytes.count && bytes[i] == UInt8(ascii: "[")
                ? mistralArray(bytes, at: i, names: names)
                : mistralNamed(bytes, at: i, names: names) else { return nil }
            calls += found
            i = JSONExtent.skipSpace(bytes, from: end)
            if i == bytes.count { break }
            guard JSONExtent.hasMarker(bytes, Self.mistralMarker, at: i) else { return nil }
            i += Self.mistralMarker.count
        }
        return (Self.trimmed(JSONExtent.text(bytes, 0..<marker)), calls)
    }

    /// `[{"name": ..., "arguments": {...}}, ...]`: all or nothing.
    private func mistralArray(_ bytes: [UInt8], at i: Int, names: Set<String>) -> ([ChatToolCall], Int)? {
        guard let end = JSONExtent.end(in: bytes, from: i),
              let items = (try? JSON.parse(Array(bytes[i..<end])))?.array, !items.isEmpty else { return nil }
        var calls: [ChatToolCall] = []
        for item in items {
            guard let call = call(from: item, names: names) else { return nil }
            calls.append(call)
        }
        return (calls, end)
    }

    /// `name[ARGS]{...}` or `name[CALL_ID]abc123xyz[ARGS]{...}`. The model's
    /// own call id is dropped: ids are ours to give, in OpenAI's shape.
    private func mistralNamed(_ bytes: [UInt8], at i: Int, names: Set<String>) -> ([ChatToolCall], Int)? {
        guard let args = JSONExtent.find(Self.mistralArgs, in: bytes, from: i) else { return nil }
        var nameEnd = args
        if let id = JSONExtent.find(Self.mistralCallID, in: bytes, from: i), id < args { nameEnd = id }
        let name = Self.trimmed(JSONExtent.text(bytes, i..<nameEnd))
        guard names.contains(name) else { return nil }
        let start = JSONExtent.skipSpace(bytes, from: args + Self.mistralArgs.count)
        guard let (value, end) = Self.object(in: bytes, at: start),
              let arguments = Self.arguments(value) else { return nil }
        return ([ChatToolCall(id: makeID(), name: name, arguments: arguments)], end)
    }
}
