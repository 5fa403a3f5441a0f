import Foundation
import XCTest
@testable import PendraHTTP
import PendraEngine

final class APIErrorTests: XCTestCase {
    private func json(_ response: HTTPResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func testPendraEnvelopeIsDetailOnly() throws {
        let r = APIError.badRequest("Unknown model 'x'").response(family: .pendra, requestId: "req_1")
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), #"{"detail":"Unknown model 'x'"}"#)
        XCTAssertEqual(r.headers["Content-Type"], "application/json")
        XCTAssertEqual(r.headers["X-Request-Id"], "req_1")
        XCTAssertNil(r.headers["Retry-After"])
    }

    func testOpenAIEnvelopeCarriesTypeParamAndCode() throws {
        let r = APIError.badRequest("messages must not be empty", param: "messages")
            .response(family: .openai, requestId: "req_1")
        let error = try XCTUnwrap(try json(r)["error"] as? [String: Any])
        XCTAssertEqual(error["message"] as? String, "messages must not be empty")
        XCTAssertEqual(error["type"] as? String, "invalid_request_error")
        XCTAssertEqual(error["param"] as? String, "messages")
        XCTAssertTrue(error["code"] is NSNull)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self),
                       #"{"error":{"message":"messages must not be empty","type":"invalid_request_error","param":"messages","code":null}}"#)
    }

    func testOpenAITypesAndCodesByStatus() throws {
        let cases: [(APIError, String, String?)] = [
            (.badRequest("b"), "invalid_request_error", nil),
            (.missingAPIKey(), "invalid_request_error", nil),
            (.unauthorized(), "invalid_request_error", "invalid_api_key"),
            (.forbidden(), "permission_error", nil),
            (.notFound(route: "/x"), "not_found_error", nil),
            (.methodNotAllowed(allow: ["GET"]), "invalid_request_error", nil),
            (.tooLarge(), "invalid_request_error", nil),
            (.unsupportedMediaType("no"), "invalid_request_error", nil),
            (.rateLimited(bucket: "b", retryAfter: 3), "rate_limit_error", "rate_limit_exceeded"),
            (.internal(), "server_error", nil),
            (.workerError(), "server_error", nil),
            (.overloaded(), "server_error", "overloaded"),
            (.timeout(), "server_error", "timeout"),
        ]
        for (error, type, code) in cases {
            let body = try XCTUnwrap(try json(error.response(family: .openai, requestId: "r"))["error"] as? [String: Any])
            XCTAssertEqual(body["type"] as? String, type, "status \(error.status)")
            XCTAssertEqual(body["code"] as? String, code, "status \(error.status)")
            XCTAssertTrue(body["param"] is NSNull, "status \(error.status)")
        }
    }

    func testAnthropicTypesByStatusExactly() throws {
        let expected: [Int: String] = [
            400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
            404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
            502: "api_error", 503: "overloaded_error", 529: "overloaded_error", 504: "timeout_error",
            405: "invalid_request_error", 415: "invalid_request_error",
        ]
        for (status, type) in expected {
            let r = APIError(status: status, message: "m").response(family: .anthropic, requestId: "req_9")
            let body = try json(r)
            XCTAssertEqual(body["type"] as? String, "error")
            XCTAssertEqual(body["request_id"] as? String, "req_9")
            let error = try XCTUnwrap(body["error"] as? [String: Any])
            XCTAssertEqual(error["type"] as? String, type, "status \(status)")
            XCTAssertEqual(error["message"] as? String, "m")
            XCTAssertEqual(r.status, status)
        }
    }

    func testAnthropicBodyIsExactAndOmitsEmptyRequestId() {
        let e = APIError.overloaded("busy")
        XCTAssertEqual(e.body(family: .anthropic, requestId: "req_a"),
                       #"{"type":"error","error":{"type":"overloaded_error","message":"busy"},"request_id":"req_a"}"#)
        XCTAssertEqual(e.body(family: .anthropic, requestId: ""),
                       #"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#)
    }

    func testStringsAreEscapedAndRoundTrip() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} del \u{7F} é 🦙 \u{2028}"
        for family in APIFamily.allCases {
            let r = APIError.badRequest(nasty, param: "a\"b").response(family: family, requestId: "req_x")
            let body = try json(r)
            let message: String? = switch family {
            case .pendra: body["detail"] as? String
            case .ollama: body["error"] as? String
            case .openai, .anthropic: (body["error"] as? [String: Any])?["message"] as? String
            }
            XCTAssertEqual(message, nasty, "\(family)")
        }
        XCTAssertEqual(APIError.jsonString("\u{1}\u{1F}"), #""\u0001\u001f""#)
    }

    func testRetryAfterOnRateLimitAndOverload() {
        let limited = APIError.rateLimited(bucket: "requests per minute (60)", organisation: "acme", retryAfter: 0)
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.message, "Rate limit exceeded for organisation 'acme': requests per minute (60)")
        XCTAssertEqual(limited.response(family: .pendra, requestId: "r").headers["Retry-After"], "1")
        let busy = APIError.overloaded(retryAfter: 7).response(family: .anthropic, requestId: "r")
        XCTAssertEqual(busy.status, 503)
        XCTAssertEqual(busy.headers["Retry-After"], "7")
    }

    func testMethodNotAllowedSetsAllowHeader() {
        let r = APIError.methodNotAllowed(allow: ["GET", "POST"]).response(family: .openai, requestId: "r")
        XCTAssertEqual(r.status, 405)
        XCTAssertEqual(r.headers["Allow"], "GET, POST")
    }

    func testConstructorsPickTheirStatuses() {
        XCTAssertEqual(APIError.unauthorized().status, 401)
        XCTAssertEqual(APIError.missingAPIKey().message, "Missing API key")
        XCTAssertEqual(APIError.unauthorized().message, "Invalid API key")
        XCTAssertEqual(APIError.forbidden().status, 403)
        XCTAssertEqual(APIError.notFound(route: "/nope").status, 404)
        XCTAssertEqual(APIError.tooLarge(limit: 10).message, "Request body too large (limit 10 bytes)")
        XCTAssertEqual(APIError.tooLarge().status, 413)
        XCTAssertEqual(APIError.unsupportedMediaType("raw").status, 415)
        XCTAssertEqual(APIError.internal().status, 500)
        XCTAssertEqual(APIError.workerError().status, 502)
        XCTAssertEqual(APIError.overloaded().status, 503)
        XCTAssertEqual(APIError.timeout().status, 504)
    }

    /// An unknown model: 404 for Anthropic and Ollama (Ollama's wording has
    /// "not found"), 400 model_not_found for OpenAI and Pendra.
    func testUnknownModelPerFamily() {
        let e = ModelStoreError.unknownModel("nope", valid: ["a", "b"])
        XCTAssertEqual(APIError.from(e, family: .anthropic).status, 404)
        let ollama = APIError.from(e, family: .ollama)
        XCTAssertEqual(ollama.status, 404)
        XCTAssertEqual(ollama.message, "model 'nope' not found; this server serves: a, b")
        for family in [APIFamily.openai, .pendra] {
            let o = APIError.from(e, family: family)
            XCTAssertEqual(o.status, 400)
            XCTAssertEqual(o.code, "model_not_found")
        }
        // Other store failures are the same in every family.
        XCTAssertEqual(APIError.from(ModelStoreError.notLoaded("a"), family: .ollama).status, 503)
    }

    /// Whatever a route throws: API errors pass, engine and store failures map, the rest is 500.
    func testFromAnyError() {
        struct Odd: Error {}
        XCTAssertEqual(APIError.from(APIError.badRequest("x") as any Error).status, 400)
        XCTAssertEqual(APIError.from(EngineError.overloaded(limit: 4) as any Error).status, 503)
        XCTAssertEqual(APIError.from(EngineError.backend("b") as any Error).status, 502)
        XCTAssertEqual(APIError.from(ModelStoreError.unknownModel("x", valid: []) as any Error).code, "model_not_found")
        XCTAssertEqual(APIError.from(Odd() as any Error).status, 500)
    }
}
