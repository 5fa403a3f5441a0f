import XCTest
@testable import PendraEngine

/// Control tokens that are call or reasoning syntax reach the output parser
/// as text; the other control tokens (EOS, turn markers) still do not.
final class MarkerTokensTests: XCTestCase {
    func testLlama3PythonTagIsVisibleAndEndOfTurnIsNot() throws {
        let model = try LlamaModel(path: try TestModels.path("tiny-llama.gguf"), gpuLayers: 0)
        let markers = MarkerTokens(model: model)
        let tag = try XCTUnwrap(markers.byText["<|python_tag|>"])
        XCTAssertEqual(tag, 128010)
        XCTAssertTrue(markers.contains(tag))
        XCTAssertFalse(markers.contains(model.eos), "<|eot_id|> never becomes text")
        XCTAssertFalse(markers.contains(128006), "<|start_header_id|> is no marker")
        var hidden: [UInt8] = []
        model.piece(tag, into: &hidden)
        XCTAssertEqual(hidden, [], "without the marker set the tag vanishes, as before")
        var shown: [UInt8] = []
        model.piece(tag, special: markers.contains(tag), into: &shown)
        XCTAssertEqual(String(decoding: shown, as: UTF8.self), "<|python_tag|>")
    }

    func testQwenThinkTokensAreSingleTokens() throws {
        let model = try LlamaModel(path: try TestModels.path("tiny-qwen3-think.gguf"), gpuLayers: 0)
        let markers = MarkerTokens(model: model, chatTemplate: model.chatTemplate)
        XCTAssertEqual(markers.byText["<think>"], 151667)
        XCTAssertEqual(markers.byText["</think>"], 151668, "the budget closes the reasoning with this one token")
        XCTAssertEqual(markers.byText["<tool_call>"], 151657)
        XCTAssertNil(markers.byText["<|channel|>"], "harmony markers only for harmony templates")
    }
}
