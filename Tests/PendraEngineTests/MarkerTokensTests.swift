import XCTest
@testable import PendraEngine

/// Control tokens that are call or reasoning syntax reach the output parser
/// as text; the other control tokens (EOS, turn markers) still do not.
final class MarkerTokensTests: XCTestCase {
    func testOnlySingleTokenMarkersThatDoNotEndTheGenerationCount() {
        // A Mistral-like vocabulary: [TOOL_CALLS] is one token, [ARGS] two, 9 ends generation.
        let vocab: [String: [Token]] = ["[TOOL_CALLS]": [5], "[ARGS]": [6, 7], "[THINK]": [9], "<|channel|>": [20]]
        let m = MarkerTokens(harmony: false, tokenize: { vocab[$0] ?? [1, 2, 3] }, isEndOfGeneration: { $0 == 9 })
        XCTAssertEqual(m.visible, [5])
        XCTAssertEqual(m.byText, ["[TOOL_CALLS]": 5])
        let h = MarkerTokens(harmony: true, tokenize: { vocab[$0] ?? [1, 2, 3] }, isEndOfGeneration: { $0 == 9 })
        XCTAssertEqual(h.visible, [5, 20], "harmony framing only for harmony templates")
    }

    func testControlTokensRenderOnlyWhenAsked() throws {
        // What the marker set switches: a control token is empty text unless
        // rendered with `special`, which the engine does for markers only.
        let model = try LlamaModel(path: try TestModels.path("tiny-llama.gguf"), gpuLayers: 0)
        let header: Token = 128006  // <|start_header_id|>
        var hidden: [UInt8] = []
        model.piece(header, into: &hidden)
        XCTAssertEqual(hidden, [])
        var shown: [UInt8] = []
        model.piece(header, special: true, into: &shown)
        XCTAssertEqual(String(decoding: shown, as: UTF8.self), "<|start_header_id|>")
        let markers = MarkerTokens(model: model, chatTemplate: model.chatTemplate)
        XCTAssertFalse(markers.contains(model.eos), "<|eot_id|> never becomes text")
        XCTAssertFalse(markers.contains(header))
    }

    func testQwenThinkTokensAreSingleTokens() throws {
        let model = try LlamaModel(path: try TestModels.path("tiny-qwen3-think.gguf"), gpuLayers: 0)
        let markers = MarkerTokens(model: model, chatTemplate: model.chatTemplate)
        XCTAssertEqual(markers.byText["<think>"], 151667)
        XCTAssertEqual(markers.byText["</think>"], 151668, "the budget closes the reasoning with this one token")
        XCTAssertEqual(markers.byText["<tool_call>"], 151657)
        XCTAssertNil(markers.byText["<|channel|>"])
    }
}
