import XCTest
import PendraEngine
@testable import PendraHTTP

/// `speculative` reads the same in the three chat dialects.
final class SpeculativeFieldTests: XCTestCase {
    private func body(_ json: String) throws -> RequestBody {
        RequestBody(object: try XCTUnwrap(try JSON.parse(json).object))
    }

    /// The value each dialect parses `extra` (a JSON member or "") into.
    private func parsed(_ extra: String) throws -> [Bool] {
        let more = extra.isEmpty ? "" : "," + extra
        let chat = try OpenAIChatRequest.parse(try body(#"{"model":"m","messages":[{"role":"user","content":"hi"}]"# + more + "}"), resolve: { $0 })
        let responses = try ResponsesRequest.parse(try body(#"{"model":"m","input":"hi""# + more + "}"), resolve: { $0 })
        let messages = try AnthropicRequest.parse(try body(#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]"# + more + "}"), resolve: { $0 })
        return [chat.chat.speculative, responses.chat.speculative, messages.chat.speculative]
    }

    func testDefaultOnFalseOffWrongTypeRejected() throws {
        XCTAssertEqual(try parsed(""), [true, true, true])
        XCTAssertEqual(try parsed(#""speculative":false"#), [false, false, false])
        XCTAssertEqual(try parsed(#""speculative":true"#), [true, true, true])
        XCTAssertThrowsError(try parsed(#""speculative":"no""#)) { e in
            XCTAssertEqual((e as? APIError)?.status, 400)
        }
    }
}
