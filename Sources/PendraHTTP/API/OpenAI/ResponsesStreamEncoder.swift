import PendraEngine

/// Responses API events from engine events. Every event is `event: <type>`
/// + `data: {"type", "sequence_number", ...}`, numbered in order. Output
/// items follow the order the model wrote them, one open at a time:
/// `reasoning` (its text as `response.reasoning_text.delta`), `message`
/// (`output_text.delta`), and one `function_call` or `custom_tool_call` per
/// call; each item's `output_item.added` comes before its deltas and its
/// `output_item.done` before the next item, and the same item ids reach the
/// final response (the SDK's stream helper checks both).
struct ResponsesStreamEncoder: StreamEncoder {
    private enum Item {
        case reasoning(id: String, text: String)
        case message(id: String, text: String)
        case call(ChatToolCall)
    }

    let format: ResponsesFormat
    private var sequence = 0
    private var current: (item: Item, index: Int)?
    private var done: [JSON] = []
    private var messages = 0

    init(format: ResponsesFormat) { self.format = format }

    private mutating func event(_ type: String, _ fields: JSONObject) -> SSEFrame {
        var o = JSONObject()
        o["type"] = .string(type)
        o["sequence_number"] = .int(sequence)
        for (k, v) in fields { o[k] = v }
        sequence += 1
        return SSEFrame(event: type, data: JSON.object(o).serialized)
    }

    mutating func open() -> [SSEFrame] {
        let r = format.response(status: "in_progress", output: [], usage: nil)
        return [event("response.created", ["response": r]), event("response.in_progress", ["response": r])]
    }

    private mutating func start(_ item: Item) -> [SSEFrame] {
        var frames = closeOpen(status: "completed")
        let index = done.count
        current = (item, index)
        let at = JSON.int(index)
        switch item {
        case .reasoning(let id, _):
            frames.append(event("response.output_item.added",
                                ["output_index": at, "item": format.reasoningItem(text: "", status: "in_progress", id: id)]))
        case .message(let id, _):
            frames.append(event("response.output_item.added",
                                ["output_index": at, "item": format.messageItem(text: "", status: "in_progress", id: id)]))
            frames.append(event("response.content_part.added", ["item_id": .string(id), "output_index": at, "content_index": 0,
                                                                "part": format.textPart("")]))
        case .call(let c):
            frames.append(event("response.output_item.added",
                                ["output_index": at, "item": format.callItem(c, status: "in_progress", arguments: "")]))
        }
        return frames
    }

    /// Ends the open item; `status` is the message's (the response's own
    /// status when the generation ended inside it).
    private mutating func closeOpen(status: String) -> [SSEFrame] {
        guard let (item, index) = current else { return [] }
        current = nil
        let at = JSON.int(index)
        var frames: [SSEFrame] = []
        switch item {
        case .reasoning(let id, let text):
            frames.append(event("response.reasoning_text.done", ["item_id": .string(id), "output_index": at, "content_index": 0,
                                                                 "text": .string(text)]))
            let item = format.reasoningItem(text: text, status: "completed", id: id)
            frames.append(event("response.output_item.done", ["output_index": at, "item": item]))
            done.append(item)
        case .message(let id, let text):
            frames.append(event("response.output_text.done", ["item_id": .string(id), "output_index": at, "content_index": 0,
                                                              "text": .string(text), "logprobs": []]))
            frames.append(event("response.content_part.done", ["item_id": .string(id), "output_index": at, "content_index": 0,
                                                               "part": format.textPart(text)]))
            let item = format.messageItem(text: text, status: status, id: id)
            frames.append(event("response.output_item.done", ["output_index": at, "item": item]))
            done.append(item)
        case .call(let c):
            let id = JSON.string(ResponsesFormat.itemID(c))
            if format.request.customTools.contains(c.name) {
                let input = ResponsesFormat.customInput(c.arguments)
                frames.append(event("response.custom_tool_call_input.delta", ["item_id": id, "output_index": at, "delta": .string(input)]))
                frames.append(event("response.custom_tool_call_input.done", ["item_id": id, "output_index": at, "input": .string(input)]))
            } else {
                frames.append(event("response.function_call_arguments.done", ["item_id": id, "output_index": at,
                                                                              "name": .string(c.name), "arguments": .string(c.arguments)]))
            }
            let item = format.callItem(c, status: "completed")
            frames.append(event("response.output_item.done", ["output_index": at, "item": item]))
            done.append(item)
        }
        return frames
    }

    mutating func encode(_ event: GenerationEvent) -> [SSEFrame] {
        var frames: [SSEFrame] = []
        switch event {
        case .reasoning(let r) where !r.isEmpty:
            if case .reasoning? = current?.item {} else { frames += start(.reasoning(id: format.reasoningID, text: "")) }
            guard case .reasoning(let id, let text)? = current?.item, let index = current?.index else { return frames }
            current = (.reasoning(id: id, text: text + r), index)
            frames.append(self.event("response.reasoning_text.delta", ["item_id": .string(id), "output_index": .int(index),
                                                                       "content_index": 0, "delta": .string(r)]))
        case .text(let t) where !t.isEmpty:
            if case .message? = current?.item {} else {
                messages += 1
                frames += start(.message(id: messages == 1 ? format.messageID : format.messageID + "_\(messages)", text: ""))
            }
            guard case .message(let id, let text)? = current?.item, let index = current?.index else { return frames }
            current = (.message(id: id, text: text + t), index)
            frames.append(self.event("response.output_text.delta", ["item_id": .string(id), "output_index": .int(index),
                                                                    "content_index": 0, "delta": .string(t), "logprobs": []]))
        case .toolCall(let d):
            if let id = d.id { frames += start(.call(ChatToolCall(id: id, name: d.name ?? "", arguments: ""))) }
            guard case .call(var c)? = current?.item, let index = current?.index, !d.arguments.isEmpty else { return frames }
            c.arguments += d.arguments
            current = (.call(c), index)
            if !format.request.customTools.contains(c.name) {
                frames.append(self.event("response.function_call_arguments.delta", [
                    "item_id": .string(ResponsesFormat.itemID(c)), "output_index": .int(index), "delta": .string(d.arguments)]))
            }
        default:
            break
        }
        return frames
    }

    mutating func close(_ result: GenerationResult) -> [SSEFrame] {
        let status = ResponsesFormat.status(result.reason)
        var frames: [SSEFrame] = []
        // An empty reply still has its message.
        if done.isEmpty && current == nil { messages += 1; frames += start(.message(id: format.messageID, text: "")) }
        frames += closeOpen(status: status)
        let final = status == "incomplete" ? "response.incomplete" : "response.completed"
        frames.append(event(final, ["response": format.response(status: status, output: done, usage: result.usage)]))
        return frames
    }

    mutating func fail(_ failure: GenerationFailure) -> [SSEFrame] {
        var items = done
        if case .message(let id, let text)? = current?.item { items.append(format.messageItem(text: text, status: "incomplete", id: id)) }
        let error: JSON = ["code": failure.kind == .timeout ? "timeout" : "server_error", "message": .string(failure.message)]
        return [event("response.failed", ["response": format.response(status: "failed", output: items, usage: failure.usage,
                                                                      error: error)])]
    }
}
