import XCTest
@testable import PendraEngine

/// The `speculative` and `draft_model` fields: each shape read as
/// documented, each mistake refused in one line naming the field.
final class SpeculationConfigTests: XCTestCase {
    private func load(_ fields: String, second: String? = nil) throws -> ServerConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pendra-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.json")
        let extra = second == nil ? "" : ", {\"id\": \"small\", \"path\": \"/models/small.gguf\"\(second!)}"
        let body = "{\"models\": [{\"id\": \"big\", \"path\": \"big.gguf\"\(fields.isEmpty ? "" : ", " + fields)}\(extra)]}"
        try Data(body.utf8).write(to: file)
        return try ServerConfig.load(path: file.path)
    }

    private func speculation(_ fields: String) throws -> SpeculationConfig { try load(fields).models[0].speculation }

    private func message(_ fields: String, second: String? = nil) -> String? {
        do { _ = try load(fields, second: second); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
    }

    func testNgramShapesAreUnchanged() throws {
        XCTAssertEqual(try speculation(""), .off)
        XCTAssertEqual(try speculation("\"speculative\": false"), .off)
        XCTAssertEqual(try speculation("\"speculative\": true"), SpeculationConfig(ngram: NgramDrafter()))
        XCTAssertEqual(try speculation("\"speculative\": {\"ngram_max\": 3, \"draft_max\": 5}"),
                       SpeculationConfig(ngram: NgramDrafter(maxN: 3, minN: 2, maxDraft: 5)))
        XCTAssertEqual(try speculation("\"speculative\": {\"type\": \"ngram\"}").maxDraft, 8)
    }

    func testAdaptiveIsTheDefaultAndCanBeTurnedOff() throws {
        XCTAssertTrue(try speculation("\"speculative\": true").adaptive)
        XCTAssertFalse(try speculation("\"speculative\": {\"adaptive\": false}").adaptive)
        XCTAssertFalse(try speculation("\"speculative\": {\"type\": \"draft\", \"draft_model\": \"/m/d.gguf\", \"adaptive\": false}").adaptive)
        XCTAssertEqual(message("\"speculative\": {\"adaptive\": 1}")?.contains("adaptive"), true)
    }

    func testDraftModelInTheSpeculativeObject() throws {
        let s = try speculation("\"speculative\": {\"type\": \"draft\", \"draft_model\": \"/m/d.gguf\", \"draft_max\": 12}")
        XCTAssertEqual(s, SpeculationConfig(draftModel: DraftModelOptions(path: "/m/d.gguf", maxDraft: 12)))
        XCTAssertNil(s.ngram)
        XCTAssertTrue(s.isOn)
        XCTAssertEqual(s.maxDraft, 12)
        // The type follows from draft_model when left out.
        XCTAssertEqual(try speculation("\"speculative\": {\"draft_model\": \"/m/d.gguf\"}").draftModel?.maxDraft, 8)
        XCTAssertEqual(try speculation("\"speculative\": {\"draft_model\": \"/m/d.gguf\", \"p_min\": 0.75}").draftModel?.minProbability, 0.75)
        XCTAssertEqual(try speculation("\"speculative\": {\"draft_model\": \"/m/d.gguf\"}").draftModel?.minProbability, 0)
    }

    func testModelLevelDraftModel() throws {
        XCTAssertEqual(try speculation("\"draft_model\": \"/m/d.gguf\""),
                       SpeculationConfig(draftModel: DraftModelOptions(path: "/m/d.gguf")))
        XCTAssertEqual(try speculation("\"draft_model\": \"/m/d.gguf\", \"speculative\": true").draftModel?.path, "/m/d.gguf")
        XCTAssertEqual(try speculation("\"draft_model\": \"/m/d.gguf\", \"speculative\": {\"draft_max\": 3}"),
                       SpeculationConfig(draftModel: DraftModelOptions(path: "/m/d.gguf", maxDraft: 3)))
        XCTAssertEqual(try speculation("\"draft_model\": \"/m/d.gguf\", \"speculative\": false"), .off)
    }

    /// A configured model's id means its file; anything else is a path from
    /// the config file's folder.
    func testDraftModelByIdOrRelativePath() throws {
        let byID = try load("\"draft_model\": \"small\"", second: "")
        XCTAssertEqual(byID.models[0].speculation.draftModel?.path, "/models/small.gguf")
        let relative = try load("\"speculative\": {\"type\": \"draft\", \"draft_model\": \"drafts/d.gguf\"}")
        let path = try XCTUnwrap(relative.models[0].speculation.draftModel?.path)
        XCTAssertTrue(path.hasPrefix("/") && path.hasSuffix("/drafts/d.gguf"), path)
        XCTAssertEqual(relative.models[0].path, URL(fileURLWithPath: path).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("big.gguf").path)
    }

    func testMistakesAreNamed() {
        XCTAssertEqual(message("\"speculative\": {\"type\": \"draft\"}"),
                       "models[0].speculative.draft_model is required for type draft")
        XCTAssertEqual(message("\"speculative\": {\"type\": \"ngram\", \"draft_model\": \"d.gguf\"}"),
                       "models[0]: draft_model is for speculative type draft (ngram drafts from the sequence itself)")
        XCTAssertEqual(message("\"draft_model\": \"d.gguf\", \"speculative\": {\"type\": \"ngram\"}"),
                       "models[0]: draft_model is for speculative type draft (ngram drafts from the sequence itself)")
        XCTAssertEqual(message("\"draft_model\": \"a.gguf\", \"speculative\": {\"draft_model\": \"b.gguf\"}"),
                       "models[0]: give draft_model once, beside speculative or in it")
        XCTAssertEqual(message("\"speculative\": {\"type\": \"draft\", \"draft_model\": \"d.gguf\", \"ngram_max\": 3}"),
                       "models[0].speculative.ngram_max is for type ngram")
        XCTAssertEqual(message("\"speculative\": {\"type\": \"medusa\"}"),
                       "models[0].speculative.type \"medusa\" is unknown (use ngram or draft)")
        XCTAssertEqual(message("\"draft_model\": \"\""), "models[0].draft_model must not be empty")
        XCTAssertEqual(message("\"draft_model\": 3"), "models[0].draft_model must be a string")
        XCTAssertEqual(message("\"capability\": \"embedding\", \"draft_model\": \"d.gguf\""),
                       "models[0].draft_model is for chat models")
        XCTAssertEqual(message("\"speculative\": {\"draft_model\": \"d.gguf\", \"draft_max\": 0}"),
                       "models[0].speculative.draft_max must be at least 1")
        XCTAssertEqual(message("\"speculative\": \"draft\""), "models[0].speculative must be true, false or an object")
        XCTAssertEqual(message("\"speculative\": {\"draft_model\": \"d.gguf\", \"p_min\": 1.5}"),
                       "models[0].speculative.p_min must be at most 1.0")
        XCTAssertEqual(message("\"speculative\": {\"type\": \"ngram\", \"p_min\": 0.5}"),
                       "models[0].speculative.p_min is for type draft")
    }
}
