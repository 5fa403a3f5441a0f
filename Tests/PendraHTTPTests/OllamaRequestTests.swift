import XCTest
import PendraEngine
@testable import PendraHTTP

final class OllamaRequestTests: XCTestCase {
    private func parse(_ json: String, _ kind: OllamaRequest.Kind = .chat) throws(APIError) -> OllamaRequest {
        guard case .object(let o)? = try? JSON.parse(json) else { fatalError("bad fixture") }
        return try OllamaRequest.parse(RequestBody(object: o), kind: kind)
    }

    private func status(_ json: String, _ kind: OllamaRequest.Kind = .chat) -> Int? {
        do { _ = try parse(json, kind); return nil } catch { return error.status }
    }

    func testGenerateIsAUserTurnWithItsSystem() throws {
        let r = try parse(#"{"model":"m","prompt":"Hi","system":"Be brief."}"#, .generate)
        XCTAssertEqual(r.chat.messages, [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi")])
        XCTAssertTrue(r.stream, "Ollama streams by default")
        XCTAssertFalse(r.loadOnly)
        XCTAssertTrue(try parse(#"{"model":"m","system":"only"}"#, .generate).loadOnly)
        XCTAssertTrue(try parse(#"{"model":"m","messages":[]}"#).loadOnly)
    }

    func testRawAndSuffixAre415AndOtherRefusals400() {
        XCTAssertEqual(status(#"{"model":"m","prompt":"x","raw":true}"#, .generate), 415)
        XCTAssertEqual(status(#"{"model":"m","prompt":"x","suffix":"y"}"#, .generate), 415)
        XCTAssertNil(status(#"{"model":"m","prompt":"x","suffix":"","raw":false}"#, .generate))
        XCTAssertEqual(status(#"{"model":"m","prompt":"x","template":"{{ .Prompt }}"}"#, .generate), 400)
        XCTAssertEqual(status(#"{"model":"m","messages":[{"role":"user","content":"x","images":["aGk="]}]}"#), 400)
        XCTAssertEqual(status(#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#), 400)
        XCTAssertEqual(status(#"{"model":"m","format":"yaml"}"#), 400)
        XCTAssertEqual(status(#"{"messages":[]}"#), 400)
    }

    func testMessagesToolCallsAndFormat() throws {
        let r = try parse(#"""
        {"model":"m","format":{"type":"object"},"stream":false,"think":true,
         "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
         "messages":[{"role":"user","content":"q"},
                     {"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},
                     {"role":"tool","tool_name":"f","content":"42"}]}
        """#)
        XCTAssertFalse(r.stream)
        XCTAssertEqual(r.chat.tools.map(\.name), ["f"])
        XCTAssertEqual(r.chat.messages[1].toolCalls, [ChatToolCall(id: "call_0", name: "f", arguments: #"{"a":1}"#)])
        XCTAssertEqual(r.chat.messages[2].name, "f")
        XCTAssertEqual(r.chat.responseFormat, .jsonSchema(["type": "object"]))
        XCTAssertEqual(try parse(#"{"model":"m","format":"json"}"#).chat.responseFormat, .jsonObject)
        XCTAssertEqual(try parse(#"{"model":"m","format":""}"#).chat.responseFormat, .text)
    }

    func testOptionsMapOntoSampling() throws {
        let r = try parse(#"""
        {"model":"m","options":{"temperature":0.2,"top_p":0.5,"top_k":7,"min_p":0.1,"seed":9,"num_predict":33,
         "repeat_penalty":1.3,"repeat_last_n":16,"presence_penalty":0.4,"frequency_penalty":-0.5,"stop":["\n\n","END"],
         "num_ctx":8192,"num_gpu":99,"num_thread":4}}
        """#)
        let s = r.chat.sampling
        XCTAssertEqual(s.temperature, 0.2)
        XCTAssertEqual(s.topP, 0.5)
        XCTAssertEqual(s.topK, 7)
        XCTAssertEqual(s.minP, 0.1)
        XCTAssertEqual(s.seed, 9)
        XCTAssertEqual(s.repetitionPenalty, 1.3)
        XCTAssertEqual(s.penaltyWindow, 16)
        XCTAssertEqual(s.presencePenalty, 0.4)
        XCTAssertEqual(s.frequencyPenalty, -0.5)
        XCTAssertEqual(r.chat.maxTokens, 33)
        XCTAssertEqual(r.chat.stop, ["\n\n", "END"])
        XCTAssertEqual(r.ignoredOptions.sorted(), ["num_ctx", "num_gpu", "num_thread"])
        XCTAssertNil(try parse(#"{"model":"m","options":{"num_predict":-1}}"#).chat.maxTokens, "-1: no limit")
        XCTAssertEqual(status(#"{"model":"m","options":{"temperature":"hot"}}"#), 400)
        XCTAssertEqual(status(#"{"model":"m","options":{"top_p":3}}"#), 400)
    }

    func testKeepAliveDurations() throws {
        XCTAssertEqual(OllamaDuration.seconds("5m"), 300)
        XCTAssertEqual(OllamaDuration.seconds("1h30m"), 5400)
        XCTAssertEqual(OllamaDuration.seconds("1.5s"), 1.5)
        XCTAssertEqual(OllamaDuration.seconds("300ms"), 0.3)
        XCTAssertEqual(OllamaDuration.seconds("-1"), -1)
        XCTAssertEqual(OllamaDuration.seconds("-1m"), -60)
        XCTAssertEqual(OllamaDuration.seconds("0"), 0)
        XCTAssertNil(OllamaDuration.seconds("5 minutes"))
        XCTAssertNil(OllamaDuration.seconds("m"))
        XCTAssertNil(OllamaDuration.seconds(""))
        XCTAssertEqual(try parse(#"{"model":"m","keep_alive":0}"#).keepAlive, 0)
        XCTAssertEqual(try parse(#"{"model":"m","keep_alive":"10m"}"#).keepAlive, 600)
        XCTAssertNil(try parse(#"{"model":"m"}"#).keepAlive)
        XCTAssertEqual(status(#"{"model":"m","keep_alive":"soon"}"#), 400)
    }
}
