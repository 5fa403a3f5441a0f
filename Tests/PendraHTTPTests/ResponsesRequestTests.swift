import XCTest
import PendraEngine
@testable import PendraHTTP

/// The Responses API body -> internal ChatRequest translation (no model).
final class ResponsesRequestTests: XCTestCase {
    private func parse(_ json: String) throws -> ResponsesRequest {
        let o = try XCTUnwrap(try JSON.parse(json).object)
        return try ResponsesRequest.parse(RequestBody(object: o), resolve: { $0 })
    }

    private func parseError(_ json: String) -> APIError? {
        do { _ = try parse(json); return nil } catch let e as APIError { return e } catch { return nil }
    }

    func testStringInputWithInstructions() throws {
        let r = try parse(#"{"model":"m","input":"hi","instructions":"be brief","max_output_tokens":9}"#)
        XCTAssertEqual(r.chat.messages, [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "hi")])
        XCTAssertEqual(r.chat.maxTokens, 9)
        XCTAssertFalse(r.stream)
        XCTAssertEqual(r.echo["instructions"], "be brief")
    }

    func testLeadingDeveloperMessagesMergeIntoOneSystemMessage() throws {
        let r = try parse(#"""
        {"model":"m","instructions":"base","input":[
          {"type":"message","role":"developer","content":[{"type":"input_text","text":"sandbox"}]},
          {"role":"user","content":"go"},
          {"role":"developer","content":"later"}]}
        """#)
        XCTAssertEqual(r.chat.messages.map(\.role), ["system", "user", "system"])
        XCTAssertEqual(r.chat.messages[0].content, "base\n\nsandbox")
        XCTAssertEqual(r.chat.messages[2].content, "later")
    }

    func testCallsJoinTheAssistantTurnAndOutputsBecomeToolMessages() throws {
        let r = try parse(#"""
        {"model":"m","input":[
          {"role":"user","content":"weather?"},
          {"type":"reasoning","id":"rs_1","summary":[]},
          {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
          {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"},
          {"type":"function_call","call_id":"call_2","name":"get_time","arguments":"{}"},
          {"type":"function_call_output","call_id":"call_1","output":"sunny"},
          {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
          {"type":"function_call","call_id":"call_3","name":"get_weather","arguments":{"city":"Rome"}}]}
        """#)
        let m = r.chat.messages
        XCTAssertEqual(m.map(\.role), ["user", "assistant", "tool", "tool", "assistant"])
        XCTAssertEqual(m[1].content, "Checking.")
        XCTAssertEqual(m[1].toolCalls.map(\.id), ["call_1", "call_2"])
        XCTAssertEqual(m[2], ChatMessage(role: "tool", content: "sunny", toolCallID: "call_1", name: "get_weather"))
        XCTAssertEqual(m[3].content, "noon")
        XCTAssertEqual(m[3].name, "get_time")
        XCTAssertEqual(m[4].content, "")
        XCTAssertEqual(m[4].toolCalls, [ChatToolCall(id: "call_3", name: "get_weather", arguments: #"{"city":"Rome"}"#)])
    }

    func testCustomToolsBecomeOneStringArgumentFunctions() throws {
        let r = try parse(#"""
        {"model":"m","input":[{"role":"user","content":"patch"},
          {"type":"custom_tool_call","call_id":"call_9","name":"apply_patch","input":"*** Begin Patch"}],
         "tools":[{"type":"custom","name":"apply_patch","description":"patch files"},
                  {"type":"function","name":"shell","parameters":{"type":"object"}},
                  {"type":"web_search"}]}
        """#)
        XCTAssertEqual(r.customTools, ["apply_patch"])
        XCTAssertEqual(r.chat.tools.map(\.name), ["apply_patch", "shell"])
        XCTAssertEqual(r.chat.tools[0].parameters["required"], ["input"])
        XCTAssertEqual(r.chat.messages[1].toolCalls[0].arguments, #"{"input":"*** Begin Patch"}"#)
        XCTAssertEqual(r.echo["tools"]?.array?.count, 2, "the hosted tool is not echoed as offered")
        XCTAssertEqual(ResponsesFormat.customInput(#"{"input":"a\nb"}"#), "a\nb")
        XCTAssertEqual(ResponsesFormat.customInput("not json"), "not json")
    }

    func testToolChoices() throws {
        let tools = #""tools":[{"type":"function","name":"a"},{"type":"function","name":"b"}]"#
        XCTAssertEqual(try parse(#"{"model":"m","input":"x",\#(tools),"tool_choice":"required"}"#).chat.toolChoice, .required)
        XCTAssertEqual(try parse(#"{"model":"m","input":"x",\#(tools),"tool_choice":{"type":"function","name":"b"}}"#).chat.toolChoice,
                       .named("b"))
        let allowed = try parse(#"""
        {"model":"m","input":"x",\#(tools),"tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"b"}]}}
        """#)
        XCTAssertEqual(allowed.chat.toolChoice, .required)
        XCTAssertEqual(allowed.chat.tools.map(\.name), ["b"])
        XCTAssertEqual(parseError(#"{"model":"m","input":"x",\#(tools),"tool_choice":{"type":"function","name":"c"}}"#)?.param,
                       "tool_choice.name")
        XCTAssertEqual(parseError(#"{"model":"m","input":"x","tool_choice":{"type":"file_search"}}"#)?.param, "tool_choice.type")
    }

    func testTextFormatAndSampling() throws {
        let r = try parse(#"""
        {"model":"m","input":"x","temperature":0.3,"top_p":0.5,"text":{"format":{"type":"json_schema","name":"p","schema":{"type":"object"}}}}
        """#)
        XCTAssertEqual(r.chat.responseFormat, .jsonSchema(["type": "object"]))
        XCTAssertEqual(r.chat.sampling.temperature, 0.3)
        XCTAssertEqual(r.echo["temperature"], .double(0.3))
        XCTAssertEqual(r.echo["top_p"], .double(0.5))
    }

    func testRefusals() {
        XCTAssertEqual(parseError(#"{"model":"m"}"#)?.param, "input")
        XCTAssertEqual(parseError(#"{"model":"m","input":[]}"#)?.param, "input")
        XCTAssertEqual(parseError(#"{"model":"m","input":"x","previous_response_id":"resp_1"}"#)?.param, "previous_response_id")
        XCTAssertEqual(parseError(#"{"model":"m","input":"x","background":true}"#)?.param, "background")
        XCTAssertEqual(parseError(#"{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}"#)?.param, "input[0].type")
        XCTAssertEqual(parseError(#"{"model":"m","input":[{"type":"function_call_output","output":"x"}]}"#)?.param, "input[0].call_id")
        XCTAssertEqual(parseError(#"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}"#)?.param,
                       "input[0].content")
        XCTAssertEqual(parseError(#"{"model":"m","input":"x","max_output_tokens":0}"#)?.param, "max_output_tokens")
    }
}
