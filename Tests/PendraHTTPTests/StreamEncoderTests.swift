import XCTest
import PendraEngine
@testable import PendraHTTP

/// The three dialects' stream encoders on scripted event sequences: the
/// orders and shapes the official SDKs and Claude Code rely on (CLIENTS.md).
final class StreamEncoderTests: XCTestCase {
    static let result = GenerationResult(reason: .endOfGeneration, usage: Usage(promptTokens: 7, reusedPromptTokens: 2, completionTokens: 5),
                                         timings: Timings())
    static let call = ToolCallDelta(index: 0, id: "call_abc", name: "get_weather", arguments: "")
    static let scripted: [GenerationEvent] = [
        .reasoning("Think"), .reasoning("ing."), .text("Hel"), .text("lo"),
        .toolCall(call), .toolCall(ToolCallDelta(index: 0, arguments: #"{"city":"#)),
        .toolCall(ToolCallDelta(index: 0, arguments: #""Oslo"}"#)),
        .toolCall(ToolCallDelta(index: 1, id: "call_def", name: "get_time", arguments: "{}")),
    ]

    static func run<E: StreamEncoder>(_ encoder: E, _ events: [GenerationEvent], result: GenerationResult = result) -> [SSEFrame] {
        var e = encoder
        var frames = e.open()
        for ev in events { frames += e.encode(ev) }
        return frames + e.close(result)
    }

    static func json(_ f: SSEFrame) -> JSON { (try? JSON.parse(f.data)) ?? .null }

    // MARK: OpenAI chat

    private let chatFormat = OpenAIChatFormat(id: "chatcmpl-1", created: 1, model: "m")

    func testOpenAIChatChunkOrderReasoningToolDeltasUsageAndDone() {
        let frames = Self.run(OpenAIChatStreamEncoder(format: chatFormat, includeUsage: true), Self.scripted)
        XCTAssertEqual(frames.last, .done)
        let chunks = frames.dropLast().map(Self.json)
        let deltas = chunks.compactMap { $0["choices"]?.array?.first?["delta"] }
        XCTAssertEqual(deltas.first?["role"], "assistant")
        XCTAssertEqual(deltas.compactMap { $0["reasoning_content"]?.string }.joined(), "Thinking.")
        XCTAssertEqual(deltas.compactMap { $0["content"]?.string }.joined(), "Hello")
        // The head of each call: index, id, type, name and empty arguments;
        // then fragments. Checked on the wire text: key order is the SDK's.
        let calls = frames.map(\.data).filter { $0.contains(#""tool_calls":["#) }
        XCTAssertEqual(calls.count, 5)
        XCTAssertTrue(calls[0].contains(#""tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]"#), calls[0])
        XCTAssertTrue(calls[1].contains(#""tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]"#), calls[1])
        XCTAssertTrue(calls[2].contains(#""tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]"#), calls[2])
        XCTAssertTrue(calls[3].contains(#""tool_calls":[{"index":1,"id":"call_def","type":"function","#), calls[3])
        XCTAssertTrue(calls[4].contains(#""tool_calls":[{"index":1,"function":{"arguments":"{}"}}]"#), calls[4])
        // finish_reason on the last choice chunk, then the usage chunk with no choices.
        let finishes = chunks.compactMap { $0["choices"]?.array?.first?["finish_reason"]?.string }
        XCTAssertEqual(finishes, ["tool_calls"])
        XCTAssertEqual(chunks.last?["choices"], [])
        XCTAssertEqual(chunks.last?["usage"]?["prompt_tokens"], 7)
        XCTAssertEqual(chunks.dropLast().map { $0["usage"] }, Array(repeating: JSON.null, count: chunks.count - 1))
    }

    func testOpenAIChatWithoutUsageOrCallsEndsWithStopAndDone() {
        let frames = Self.run(OpenAIChatStreamEncoder(format: chatFormat, includeUsage: false), [.text("hi")])
        let chunks = frames.dropLast().map(Self.json)
        XCTAssertEqual(chunks.last?["choices"]?.array?.first?["finish_reason"], "stop")
        XCTAssertNil(chunks.last?["usage"], "no usage key when not asked for")
        XCTAssertEqual(frames.last, .done)
    }

    func testOpenAIChatFailureIsATopLevelErrorThenDone() {
        var e = OpenAIChatStreamEncoder(format: chatFormat, includeUsage: false)
        let frames = e.fail(GenerationFailure(kind: .timeout, message: "slow", requestId: "r1", usage: Usage()))
        XCTAssertEqual(Self.json(frames[0])["error"]?["message"], "slow")
        XCTAssertEqual(frames.last, .done)
    }

    // MARK: Anthropic

    private let anthropicFormat = AnthropicFormat(id: "msg_1", model: "claude-x")

    func testAnthropicBlocksOpenInOrderAndEachDeltaNamesAStartedBlock() {
        let frames = Self.run(AnthropicStreamEncoder(format: anthropicFormat, promptTokens: 7), Self.scripted)
        XCTAssertEqual(frames.map(\.event), ["message_start", "ping",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop"])
        var started: [Int] = []
        var stopped: [Int] = []
        for f in frames {
            let j = Self.json(f)
            guard let index = j["index"]?.int else { continue }
            switch f.event {
            case "content_block_start":
                XCTAssertEqual(index, started.count, "indexes 0, 1, 2… in order")
                XCTAssertEqual(stopped.count, started.count, "the previous block stopped first")
                started.append(index)
            case "content_block_delta":
                XCTAssertEqual(started.last, index, "a delta for the open block only")
                XCTAssertFalse(stopped.contains(index))
            case "content_block_stop": stopped.append(index)
            default: XCTFail("unexpected \(f.event ?? "")")
            }
        }
        let starts = frames.filter { $0.event == "content_block_start" }.map { Self.json($0)["content_block"] }
        XCTAssertEqual(starts.map { $0?["type"]?.string }, ["thinking", "text", "tool_use", "tool_use"])
        XCTAssertEqual(starts[2]?["id"], "toolu_abc")
        let deltas = frames.filter { $0.event == "content_block_delta" }.map { Self.json($0)["delta"] }
        XCTAssertEqual(deltas.map { $0?["type"]?.string }, ["thinking_delta", "thinking_delta", "signature_delta", "text_delta",
                                                            "text_delta", "input_json_delta", "input_json_delta", "input_json_delta"])
        let messageDelta = Self.json(frames[frames.count - 2])
        XCTAssertEqual(messageDelta["delta"]?["stop_reason"], "tool_use")
        XCTAssertEqual(messageDelta["usage"]?["output_tokens"], 5)
        XCTAssertEqual(messageDelta["usage"]?["input_tokens"], 5, "input excludes the cached tokens")
    }

    func testAnthropicEmptyReplyHasOneEmptyTextBlock() {
        let frames = Self.run(AnthropicStreamEncoder(format: anthropicFormat, promptTokens: 3), [])
        XCTAssertEqual(frames.map(\.event), ["message_start", "ping", "content_block_start", "content_block_stop",
                                             "message_delta", "message_stop"])
        XCTAssertEqual(Self.json(frames[4])["delta"]?["stop_reason"], "end_turn")
    }

    func testAnthropicStopSequenceAndFailure() {
        let stopped = GenerationResult(reason: .stopSequence("END"), usage: Usage(), timings: Timings())
        let frames = Self.run(AnthropicStreamEncoder(format: anthropicFormat, promptTokens: 3), [.text("a")], result: stopped)
        XCTAssertEqual(Self.json(frames[frames.count - 2])["delta"], ["stop_reason": "stop_sequence", "stop_sequence": "END"])
        var e = AnthropicStreamEncoder(format: anthropicFormat, promptTokens: 3)
        let failed = e.fail(GenerationFailure(kind: .worker, message: "boom", requestId: "r", usage: Usage()))
        XCTAssertEqual(failed.map(\.event), ["error"])
        XCTAssertEqual(Self.json(failed[0])["error"]?["message"], "boom")
    }

    // MARK: Responses

    private func responsesFormat(customTools: [String] = []) throws -> ResponsesFormat {
        var body = #"{"model":"m","input":"hi","tools":[{"type":"function","name":"get_weather","parameters":{}},{"type":"function","name":"get_time"}"#
        for t in customTools { body += #",{"type":"custom","name":"\#(t)"}"# }
        body += "]}"
        let o = try XCTUnwrap(try JSON.parse(body).object)
        return ResponsesFormat(request: try ResponsesRequest.parse(RequestBody(object: o), resolve: { $0 }), createdAt: 1)
    }

    func testResponsesItemsInOrderWithMatchingIdsAndSequenceNumbers() throws {
        let format = try responsesFormat()
        let frames = Self.run(ResponsesStreamEncoder(format: format), Self.scripted)
        let events = frames.map { Self.json($0) }
        XCTAssertEqual(events.map { $0["sequence_number"]?.int }, Array(0..<frames.count).map { Optional($0) })
        XCTAssertEqual(frames.map(\.event), events.map { $0["type"]?.string })
        XCTAssertEqual(frames.map(\.event), [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.reasoning_text.delta", "response.reasoning_text.delta",
            "response.reasoning_text.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.completed"])
        // Each item: added, then done, at one output_index, with one id that the final response repeats.
        let added = events.filter { $0["type"] == "response.output_item.added" }
        let done = events.filter { $0["type"] == "response.output_item.done" }
        XCTAssertEqual(added.map { $0["output_index"]?.int }, [0, 1, 2, 3])
        XCTAssertEqual(added.map { $0["item"]?["id"] }, done.map { $0["item"]?["id"] })
        let final = try XCTUnwrap(events.last?["response"]?["output"]?.array)
        XCTAssertEqual(final.map { $0["id"] }, done.map { $0["item"]?["id"] })
        XCTAssertEqual(final.map { $0["type"]?.string }, ["reasoning", "message", "function_call", "function_call"])
        XCTAssertEqual(final[0]["content"]?.array?.first?["type"], "reasoning_text")
        XCTAssertEqual(final[0]["content"]?.array?.first?["text"], "Thinking.")
        XCTAssertEqual(final[2]["arguments"], #"{"city":"Oslo"}"#)
        XCTAssertEqual(final[2]["call_id"], "call_abc")
    }

    func testResponsesEmptyReplyHasItsMessageAndLengthIsIncomplete() throws {
        let length = GenerationResult(reason: .length, usage: Usage(), timings: Timings())
        let frames = Self.run(ResponsesStreamEncoder(format: try responsesFormat()), [], result: length)
        XCTAssertEqual(frames.last?.event, "response.incomplete")
        let output = Self.json(frames.last!)["response"]?["output"]?.array
        XCTAssertEqual(output?.count, 1)
        XCTAssertEqual(output?.first?["type"], "message")
        XCTAssertEqual(output?.first?["status"], "incomplete")
    }

    func testResponsesCustomToolInputComesWhole() throws {
        let format = try responsesFormat(customTools: ["apply_patch"])
        let frames = Self.run(ResponsesStreamEncoder(format: format), [
            .toolCall(ToolCallDelta(index: 0, id: "call_x", name: "apply_patch", arguments: #"{"input":"*** Begin"}"#))])
        let types = frames.map(\.event)
        XCTAssertTrue(types.contains("response.custom_tool_call_input.done"))
        XCTAssertFalse(types.contains("response.function_call_arguments.delta"))
        let done = frames.first { $0.event == "response.custom_tool_call_input.done" }.map(Self.json)
        XCTAssertEqual(done?["input"], "*** Begin")
    }

    func testResponsesFailureCarriesTheTextSoFar() throws {
        var e = ResponsesStreamEncoder(format: try responsesFormat())
        _ = e.open()
        _ = e.encode(.text("par"))
        let frames = e.fail(GenerationFailure(kind: .timeout, message: "slow", requestId: "r", usage: Usage()))
        let response = Self.json(frames[0])["response"]
        XCTAssertEqual(frames.map(\.event), ["response.failed"])
        XCTAssertEqual(response?["error"]?["code"], "timeout")
        XCTAssertEqual(response?["output"]?.array?.first?["status"], "incomplete")
    }

    // MARK: Non-streamed replies from the same events

    /// Argument fragments, as the engine streams them: each dialect's
    /// fragments add up to the arguments of the non-streamed reply, per call
    /// in order; a reply cut inside a call ends as cut, not as a finished call.
    func testArgumentFragmentsAddUpToTheWholeCallInEveryDialect() throws {
        let events: [GenerationEvent] = [
            .text("Sure."),
            .toolCall(ToolCallDelta(index: 0, id: "call_a", name: "get_weather", arguments: "")),
            .toolCall(ToolCallDelta(index: 0, arguments: #"{"ci"#)), .toolCall(ToolCallDelta(index: 0, arguments: #"ty":"Os"#)),
            .toolCall(ToolCallDelta(index: 0, arguments: #"lo","days":[1,"#)), .toolCall(ToolCallDelta(index: 0, arguments: "2]}")),
            .toolCall(ToolCallDelta(index: 1, id: "call_b", name: "get_time", arguments: "")),
            .toolCall(ToolCallDelta(index: 1, arguments: "{}")),
        ]
        let whole = ChatReply.collect(events).calls
        XCTAssertEqual(whole.map(\.arguments), [#"{"city":"Oslo","days":[1,2]}"#, "{}"])

        var chat: [Int: String] = [:]
        for f in Self.run(OpenAIChatStreamEncoder(format: chatFormat, includeUsage: false), events).dropLast() {
            for tc in Self.json(f)["choices"]?.array?.first?["delta"]?["tool_calls"]?.array ?? [] {
                chat[tc["index"]!.int!, default: ""] += tc["function"]?["arguments"]?.string ?? ""
            }
        }
        XCTAssertEqual([chat[0], chat[1]], whole.map(\.arguments))

        var anthropic: [Int: String] = [:]
        for f in Self.run(AnthropicStreamEncoder(format: anthropicFormat, promptTokens: 1), events) where f.event == "content_block_delta" {
            let j = Self.json(f)
            if j["delta"]?["type"] == "input_json_delta" { anthropic[j["index"]!.int!, default: ""] += j["delta"]!["partial_json"]!.string! }
        }
        XCTAssertEqual([anthropic[1], anthropic[2]], whole.map(\.arguments), "blocks 1 and 2 follow the text block 0")

        var responses: [String: String] = [:]
        var done: [String] = []
        for f in Self.run(ResponsesStreamEncoder(format: try responsesFormat()), events) {
            let j = Self.json(f)
            if f.event == "response.function_call_arguments.delta" { responses[j["item_id"]!.string!, default: ""] += j["delta"]!.string! }
            if f.event == "response.function_call_arguments.done" {
                XCTAssertEqual(responses[j["item_id"]!.string!], j["arguments"]?.string, "done repeats the deltas")
                done.append(j["arguments"]!.string!)
            }
        }
        XCTAssertEqual(done, whole.map(\.arguments))

        // Cut by max_tokens inside the first call.
        let cut = GenerationResult(reason: .length, usage: Usage(), timings: Timings())
        let partial = Array(events[0..<3])
        let chatEnd = Self.run(OpenAIChatStreamEncoder(format: chatFormat, includeUsage: false), partial, result: cut).dropLast().map(Self.json)
        XCTAssertEqual(chatEnd.compactMap { $0["choices"]?.array?.first?["finish_reason"]?.string }, ["length"])
        let anthropicEnd = Self.run(AnthropicStreamEncoder(format: anthropicFormat, promptTokens: 1), partial, result: cut)
        XCTAssertEqual(Self.json(anthropicEnd[anthropicEnd.count - 2])["delta"]?["stop_reason"], "max_tokens")
        var reply = ChatReply.collect(partial)
        reply.result = cut
        XCTAssertEqual(chatFormat.completion(reply)["choices"]?.array?.first?["finish_reason"], "length")
        XCTAssertEqual(anthropicFormat.message(reply)["stop_reason"], "max_tokens")
    }

    func testChatReplyRebuildsCallsFromDeltas() {
        let r = ChatReply.collect(Self.scripted)
        XCTAssertEqual(r.reasoning, "Thinking.")
        XCTAssertEqual(r.text, "Hello")
        XCTAssertEqual(r.calls, [ChatToolCall(id: "call_abc", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                                 ChatToolCall(id: "call_def", name: "get_time", arguments: "{}")])
    }

    func testOutcomeIsDecidedOnce() {
        let ok = Self.result
        XCTAssertEqual(GenerationRunner.outcome(ok, timedOut: false, clientGone: false, streaming: true, timeout: 9, requestId: "r"),
                       .finished(ok))
        let cancelled = GenerationResult(reason: .cancelled, usage: Usage(), timings: Timings())
        XCTAssertEqual(GenerationRunner.outcome(cancelled, timedOut: false, clientGone: true, streaming: false, timeout: 9, requestId: "r"),
                       .abandoned)
        guard case .failed(let f) = GenerationRunner.outcome(cancelled, timedOut: true, clientGone: false, streaming: false,
                                                             timeout: 9, requestId: "r") else { return XCTFail() }
        XCTAssertEqual(f.kind, .timeout)
        XCTAssertEqual(f.message, "The model produced nothing for 9 s; use stream: true for long generations")
        let broken = GenerationResult(reason: .error("decode failed"), usage: Usage(), timings: Timings())
        XCTAssertEqual(GenerationRunner.outcome(broken, timedOut: false, clientGone: false, streaming: true, timeout: 9, requestId: "r"),
                       .failed(GenerationFailure(kind: .worker, message: "decode failed", requestId: "r", usage: Usage())))
    }
}
