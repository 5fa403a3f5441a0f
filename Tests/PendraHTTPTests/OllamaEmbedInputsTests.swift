import XCTest
@testable import PendraHTTP
import PendraJSON

/// /api/embed's `input` checks, shared with /v1/embeddings (no model needed).
final class OllamaEmbedInputsTests: XCTestCase {
    private func inputs(_ input: JSON) throws -> [String] {
        var o = JSONObject()
        o["model"] = "m"
        o["input"] = input
        return try OllamaEmbedRoute.inputs(RequestBody(object: o))
    }

    private func message(_ input: JSON) -> String? {
        do { _ = try inputs(input); return nil } catch let e as APIError { return e.message } catch { return "\(error)" }
    }

    func testStringsAndList() throws {
        XCTAssertEqual(try inputs("hi"), ["hi"])
        XCTAssertEqual(try inputs(""), [])
        XCTAssertEqual(try inputs(["a", "b"]), ["a", "b"])
    }

    func testEmptyStringInListAndBatchLimit() {
        XCTAssertEqual(message(["a", ""]), "'input[1]' is an empty string")
        XCTAssertNil(message(.array(Array(repeating: "x", count: 2048))))
        XCTAssertEqual(message(.array(Array(repeating: "x", count: 2049))), "At most 2048 inputs per request")
    }
}
