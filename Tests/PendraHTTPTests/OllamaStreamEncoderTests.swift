import Foundation
import XCTest
import PendraEngine
@testable import PendraHTTP

/// The Ollama encoder on scripted engine output: no model, no sockets.
final class OllamaStreamEncoderTests: XCTestCase {
    private func encoder(_ kind: OllamaRequest.Kind) -> OllamaStreamEncoder {
        var e = OllamaStreamEncoder(kind: kind, model: "m:latest")
        e.clock = { "2026-01-02T03:04:05.000000000Z" }
        return e
    }

    private func object(_ line: [UInt8]) throws -> [String: Any] {
        XCTAssertEqual(line.last, UInt8(ascii: "\n"), "one NDJSON line")
        XCTAssertEqual(line.filter { $0 == UInt8(ascii: "\n") }.count, 1)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
    }

    private func result(_ reason: FinishReason) -> GenerationResult {
        var t = Timings()
        t.queued = 0.1
        t.timeToFirstToken = 0.5
        t.total = 2
        return GenerationResult(reason: reason, usage: Usage(promptTokens: 12, completionTokens: 7), timings: t)
    }

    func testChatChunksAndFinalLine() throws {
        let e = encoder(.chat)
        XCTAssertNil(e.content(""), "empty text sends nothing")
        let chunk = try object(XCTUnwrap(e.content("Hel")))
        XCTAssertEqual(chunk["model"] as? String, "m:latest")
        XCTAssertEqual(chunk["created_at"] as? String, "2026-01-02T03:04:05.000000000Z")
        XCTAssertEqual(chunk["done"] as? Bool, false)
        XCTAssertEqual(chunk["message"] as? [String: String], ["role": "assistant", "content": "Hel"])
        XCTAssertNil(chunk["done_reason"])

        let d = OllamaDurations(result: result(.length), load: 3_000, total: 2_500_000_000)
        let last = try object(e.done(result(.length), d))
        XCTAssertEqual(last["done"] as? Bool, true)
        XCTAssertEqual(last["done_reason"] as? String, "length")
        XCTAssertEqual((last["message"] as? [String: String])?["content"], "")
        XCTAssertEqual(last["prompt_eval_count"] as? Int, 12)
        XCTAssertEqual(last["eval_count"] as? Int, 7)
        XCTAssertEqual(last["load_duration"] as? Int, 3_000)
        XCTAssertEqual(last["total_duration"] as? Int, 2_500_000_000)
        XCTAssertEqual(last["prompt_eval_duration"] as? Int, 400_000_000, "first token minus the queue wait")
        XCTAssertEqual(last["eval_duration"] as? Int, 1_500_000_000, "the rest after the first token")
    }

    func testGenerateUsesResponseNotMessage() throws {
        let e = encoder(.generate)
        let chunk = try object(XCTUnwrap(e.content("x")))
        XCTAssertEqual(chunk["response"] as? String, "x")
        XCTAssertNil(chunk["message"])
        let reply = e.reply(text: "all", calls: [], result: result(.endOfGeneration), OllamaDurations())
        XCTAssertEqual(reply["response"]?.string, "all")
        XCTAssertEqual(reply["done_reason"]?.string, "stop")
        XCTAssertNil(e.toolCalls([ChatToolCall(id: "c", name: "f", arguments: "{}")]), "generate has no tool calls")
    }

    func testToolCallsCarryArgumentsAsObjects() throws {
        let e = encoder(.chat)
        let calls = [ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris","days":2}"#),
                     ChatToolCall(id: "call_2", name: "noop", arguments: "not json")]
        let line = try object(XCTUnwrap(e.toolCalls(calls)))
        XCTAssertEqual(line["done"] as? Bool, false)
        let list = try XCTUnwrap((line["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])
        XCTAssertEqual(list.count, 2)
        XCTAssertEqual(list[0]["id"] as? String, "call_1")
        let f0 = try XCTUnwrap(list[0]["function"] as? [String: Any])
        XCTAssertEqual(f0["name"] as? String, "get_weather")
        XCTAssertEqual(f0["index"] as? Int, 0)
        XCTAssertEqual(f0["arguments"] as? NSDictionary, ["city": "Paris", "days": 2])
        XCTAssertEqual((list[1]["function"] as? [String: Any])?["arguments"] as? NSDictionary, [:])
        XCTAssertNil(e.toolCalls([]))
        let reply = e.reply(text: "", calls: calls, result: result(.endOfGeneration), OllamaDurations())
        XCTAssertEqual(reply["message"]?["tool_calls"]?.array?.count, 2)
    }

    func testLoadErrorAndReasons() throws {
        let e = encoder(.chat)
        let loaded = e.loaded(reason: "unload")
        XCTAssertEqual(loaded["done_reason"]?.string, "unload")
        XCTAssertEqual(loaded["done"]?.bool, true)
        XCTAssertEqual(try object(e.error("boom")) as? [String: String], ["error": "boom"])
        XCTAssertEqual(OllamaStreamEncoder.doneReason(.stopSequence("x")), "stop")
        XCTAssertEqual(OllamaStreamEncoder.doneReason(.length), "length")
    }

    func testTimestampsAreRFC3339UTCWithNanoseconds() {
        XCTAssertEqual(OllamaModelFacts.timestamp(0), "1970-01-01T00:00:00.000000000Z")
        XCTAssertEqual(OllamaModelFacts.timestamp(1_796_161_324.5), "2026-12-01T21:42:04.500000000Z")
    }
}
