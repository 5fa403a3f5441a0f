import PendraEngine

/// Anthropic stream events from engine events: `message_start`, `ping`,
/// then content blocks numbered 0, 1, 2… in the order they open (a
/// `thinking` block with `thinking_delta`s and a closing `signature_delta`,
/// `text` blocks with `text_delta`s, one `tool_use` block per call with
/// `input_json_delta`s), each stopped before the next starts, then
/// `message_delta` and `message_stop`. A delta never names a block that was
/// not started: Claude Code fails with "Content block not found".
struct AnthropicStreamEncoder: StreamEncoder {
    private enum Block: Equatable { case thinking, text, toolUse }

    let format: AnthropicFormat
    let promptTokens: Int
    private var current: (block: Block, index: Int)?
    private var nextIndex = 0
    private var sawCalls = false

    init(format: AnthropicFormat, promptTokens: Int) {
        self.format = format
        self.promptTokens = promptTokens
    }

    private static func frame(_ name: String, _ json: JSON) -> SSEFrame {
        SSEFrame(event: name, data: json.serialized)
    }

    mutating func open() -> [SSEFrame] {
        [Self.frame("message_start", format.start(promptTokens: promptTokens)),
         SSEFrame(event: "ping", data: #"{"type":"ping"}"#)]
    }

    private mutating func start(_ block: Block, _ contentBlock: JSON) -> [SSEFrame] {
        var frames = stopOpen()
        current = (block, nextIndex)
        frames.append(Self.frame("content_block_start", ["type": "content_block_start", "index": .int(nextIndex),
                                                          "content_block": contentBlock]))
        nextIndex += 1
        return frames
    }

    private mutating func stopOpen() -> [SSEFrame] {
        guard let (block, index) = current else { return [] }
        current = nil
        var frames: [SSEFrame] = []
        if block == .thinking {
            frames.append(delta(index, ["type": "signature_delta", "signature": .string(AnthropicFormat.signature)]))
        }
        frames.append(Self.frame("content_block_stop", ["type": "content_block_stop", "index": .int(index)]))
        return frames
    }

    private func delta(_ index: Int, _ d: JSON) -> SSEFrame {
        Self.frame("content_block_delta", ["type": "content_block_delta", "index": .int(index), "delta": d])
    }

    mutating func encode(_ event: GenerationEvent) -> [SSEFrame] {
        var frames: [SSEFrame] = []
        switch event {
        case .reasoning(let r) where !r.isEmpty:
            if current?.block != .thinking { frames += start(.thinking, ["type": "thinking", "thinking": "", "signature": ""]) }
            frames.append(delta(current!.index, ["type": "thinking_delta", "thinking": .string(r)]))
        case .text(let t) where !t.isEmpty:
            if current?.block != .text { frames += start(.text, ["type": "text", "text": ""]) }
            frames.append(delta(current!.index, ["type": "text_delta", "text": .string(t)]))
        case .toolCall(let d):
            sawCalls = true
            if let id = d.id {
                frames += start(.toolUse, ["type": "tool_use", "id": .string(AnthropicFormat.toolID(id)),
                                           "name": .string(d.name ?? ""), "input": [:]])
            }
            if !d.arguments.isEmpty, let (block, index) = current, block == .toolUse {
                frames.append(delta(index, ["type": "input_json_delta", "partial_json": .string(d.arguments)]))
            }
        default:
            break
        }
        return frames
    }

    mutating func close(_ result: GenerationResult) -> [SSEFrame] {
        // An empty reply still has its (empty) text block.
        var frames = nextIndex == 0 ? start(.text, ["type": "text", "text": ""]) : []
        frames += stopOpen()
        var (reason, sequence) = AnthropicFormat.stopReason(result.reason)
        if sawCalls && result.reason != .length { (reason, sequence) = ("tool_use", nil) }
        frames.append(Self.frame("message_delta", [
            "type": "message_delta",
            "delta": ["stop_reason": .string(reason), "stop_sequence": sequence.map { .string($0) } ?? .null],
            "usage": AnthropicFormat.usage(result.usage)]))
        frames.append(SSEFrame(event: "message_stop", data: #"{"type":"message_stop"}"#))
        return frames
    }

    mutating func fail(_ failure: GenerationFailure) -> [SSEFrame] {
        [SSEFrame(event: "error", data: failure.apiError.body(family: .anthropic, requestId: failure.requestId))]
    }
}
