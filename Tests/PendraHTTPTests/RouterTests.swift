import Foundation
import XCTest
@testable import PendraHTTP

/// Captures what a handler or the middleware sent.
final class MiddlewareRecordingWriter: HTTPResponseWriter, @unchecked Sendable {
    private let lock = NSLock()
    private var _responses: [HTTPResponse] = []

    var responses: [HTTPResponse] { lock.withLock { _responses } }
    var last: HTTPResponse? { responses.last }

    func send(_ response: HTTPResponse) { lock.withLock { _responses.append(response) } }
    func startStream(status: Int, headers: HTTPHeaders) -> Bool {
        send(HTTPResponse(status: status, headers: headers))
        return true
    }
    func write(_ bytes: [UInt8]) -> Bool { true }
    func finish() {}
    var isClosed: Bool { false }
    func onClose(_ handler: @escaping @Sendable () -> Void) {}
}

final class RouterTests: XCTestCase {
    private func router() -> Router {
        var r = Router()
        let ok: RouteHandler = { ctx in
            ctx.sendJSON(Array("{\"route\":\"\(ctx.route)\",\"id\":\"\(ctx.params["id"] ?? "")\"}".utf8))
        }
        r.add("GET", "/v1/models", family: .openai, auth: .member, handler: ok)
        r.add("GET", "/v1/models/{id}", family: .openai, auth: .member, handler: ok)
        r.add("POST", "/v1/models/{id}/load", family: .pendra, auth: .owner, handler: ok)
        r.add("GET", "/v1/models/loaded", family: .openai, auth: .member, handler: ok)
        r.add("POST", "/v1/messages", family: .anthropic, auth: .member, rateLimited: true, handler: ok)
        r.add("POST", "/v1/chat/completions", family: .openai, auth: .member, rateLimited: true, handler: ok)
        r.add("GET", "/health", family: .pendra, auth: .public, handler: ok)
        r.add("GET", "/api/v1/catalog/{name...}", family: .pendra, auth: .public, handler: ok)
        return r
    }

    private let keys = KeyStore(keys: [APIKey(key: "sk-owner", role: .owner, organisation: "acme"),
                                       APIKey(key: "sk-member", role: .member, organisation: "acme")])

    private func json(_ r: HTTPResponse?) throws -> [String: Any] {
        let body = try XCTUnwrap(r?.body)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    private func request(_ method: String, _ path: String, key: String? = "sk-owner",
                         headers extra: HTTPHeaders = HTTPHeaders()) -> HTTPRequest {
        var headers = extra
        if let key { headers.add("Authorization", "Bearer \(key)") }
        return HTTPRequest(method: method, target: path, path: path, headers: headers)
    }

    // MARK: matching

    func testResolvesLiteralAndCapturedPaths() {
        let r = router()
        guard case .found(let route, let params) = r.resolve(method: "POST", path: "/v1/models/llama-3/load") else {
            return XCTFail("not found")
        }
        XCTAssertEqual(route.pattern.description, "/v1/models/{id}/load")
        XCTAssertEqual(route.family, .pendra)
        XCTAssertEqual(route.auth, .owner)
        XCTAssertEqual(params, ["id": "llama-3"])
    }

    func testTrailingSlashIsIgnored() {
        let r = router()
        guard case .found(let route, _) = r.resolve(method: "GET", path: "/v1/models/") else { return XCTFail() }
        XCTAssertEqual(route.pattern.description, "/v1/models")
        guard case .found(_, let params) = r.resolve(method: "GET", path: "/v1/models/abc/") else { return XCTFail() }
        XCTAssertEqual(params["id"], "abc")
    }

    func testLiteralBeatsCaptureWhateverTheOrder() {
        guard case .found(let route, let params) = router().resolve(method: "GET", path: "/v1/models/loaded") else {
            return XCTFail()
        }
        XCTAssertEqual(route.pattern.description, "/v1/models/loaded")
        XCTAssertEqual(params, [:])
    }

    func testCapturesArePercentDecodedAndRestCapturesSlashes() {
        let r = router()
        guard case .found(_, let params) = r.resolve(method: "GET", path: "/v1/models/org%2Fmodel%20q4") else {
            return XCTFail()
        }
        XCTAssertEqual(params["id"], "org/model q4")
        guard case .found(_, let rest) = r.resolve(method: "GET", path: "/api/v1/catalog/meta/llama/3") else {
            return XCTFail()
        }
        XCTAssertEqual(rest["name"], "meta/llama/3")
        guard case .notFound = r.resolve(method: "GET", path: "/api/v1/catalog") else { return XCTFail() }
    }

    func testUnknownPathsAndExtraSegmentsAreNotFound() {
        let r = router()
        for path in ["/v2/models", "/v1/models/a/b", "/", "/v1/models//load", "/healthz"] {
            guard case .notFound = r.resolve(method: "GET", path: path) else { return XCTFail(path) }
        }
    }

    func testWrongMethodIs405WithSortedAllow() {
        var r = router()
        r.add("DELETE", "/v1/models/{id}", family: .openai, auth: .owner) { _ in }
        guard case .methodNotAllowed(let allow, let family) = r.resolve(method: "PUT", path: "/v1/models/x") else {
            return XCTFail()
        }
        XCTAssertEqual(allow, ["DELETE", "GET"])
        XCTAssertEqual(family, .openai)
    }

    func testFamilyForUnknownPaths() {
        XCTAssertEqual(APIFamily.forPath("/v1/messages"), .anthropic)
        XCTAssertEqual(APIFamily.forPath("/v1/messages/count_tokens"), .anthropic)
        XCTAssertEqual(APIFamily.forPath("/v1/messages/"), .anthropic)
        XCTAssertEqual(APIFamily.forPath("/v1/messagesx"), .openai)
        // The /api/v1 twin of the Messages API: found by make stress (a 413 came in Pendra's envelope).
        XCTAssertEqual(APIFamily.forPath("/api/v1/messages"), .anthropic)
        XCTAssertEqual(APIFamily.forPath("/api/v1/messages/count_tokens"), .anthropic)
        XCTAssertEqual(APIFamily.forPath("/v1/chat/completions"), .openai)
        XCTAssertEqual(APIFamily.forPath("/v1/nope"), .openai)
        XCTAssertEqual(APIFamily.forPath("/api/v1/chat/completions"), .openai)
        XCTAssertEqual(APIFamily.forPath("/api/v1/embeddings"), .openai)
        XCTAssertEqual(APIFamily.forPath("/api/v1/completions"), .openai)
        XCTAssertEqual(APIFamily.forPath("/api/v1/models/x"), .openai)
        XCTAssertEqual(APIFamily.forPath("/api/v1/modelsx"), .pendra)
        XCTAssertEqual(APIFamily.forPath("/api/v1/catalog"), .pendra)
        XCTAssertEqual(APIFamily.forPath("/health"), .pendra)
        XCTAssertEqual(APIFamily.forPath("/api/tags"), .ollama)
        XCTAssertEqual(APIFamily.forPath("/api/nope/"), .ollama)
        XCTAssertEqual(APIFamily.forPath("/api/v1"), .pendra)
        XCTAssertEqual(APIFamily.forPath("/api"), .pendra)
        XCTAssertEqual(APIFamily.forPath("/"), .pendra)
    }

    // MARK: handle: envelopes, auth, request ids

    func test404EnvelopePerFamily() async throws {
        let r = router()
        let w = MiddlewareRecordingWriter()
        await r.handle(request("GET", "/v1/messages/batches"), writer: w, keys: keys)
        XCTAssertEqual(w.last?.status, 404)
        XCTAssertEqual(try json(w.last)["type"] as? String, "error")
        XCTAssertEqual((try json(w.last)["error"] as? [String: Any])?["type"] as? String, "not_found_error")

        await r.handle(request("GET", "/v1/unknown"), writer: w, keys: keys)
        XCTAssertEqual((try json(w.last)["error"] as? [String: Any])?["type"] as? String, "not_found_error")
        XCTAssertNotNil((try json(w.last)["error"] as? [String: Any])?["param"])

        await r.handle(request("GET", "/nothing/here/"), writer: w, keys: keys)
        XCTAssertEqual(try json(w.last)["detail"] as? String, "Not found: /nothing/here")
        XCTAssertEqual(w.last?.headers["Content-Type"], "application/json")
        XCTAssertTrue(w.last?.headers["X-Request-Id"]?.hasPrefix("req_") ?? false)
    }

    func test405EnvelopeUsesTheRoutesFamilyAndAllowHeader() async throws {
        let w = MiddlewareRecordingWriter()
        await router().handle(request("GET", "/v1/messages"), writer: w, keys: keys)
        XCTAssertEqual(w.last?.status, 405)
        XCTAssertEqual(w.last?.headers["Allow"], "POST")
        let error = try XCTUnwrap(try json(w.last)["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "invalid_request_error")
        XCTAssertEqual(try json(w.last)["type"] as? String, "error")
    }

    func testHandlerGetsContextAndResponsesCarryTheEchoedRequestId() async throws {
        let w = MiddlewareRecordingWriter()
        let ctx = await router().handle(request("GET", "/v1/models/abc", key: "sk-member",
                                                headers: ["X-Request-Id": "gw-42"]), writer: w, keys: keys)
        XCTAssertEqual(ctx?.requestId, "gw-42")
        XCTAssertEqual(ctx?.principal?.role, .member)
        XCTAssertEqual(ctx?.family, .openai)
        XCTAssertEqual(w.last?.status, 200)
        XCTAssertEqual(w.last?.headers["X-Request-Id"], "gw-42")
        XCTAssertEqual(try json(w.last)["id"] as? String, "abc")
        XCTAssertEqual(try json(w.last)["route"] as? String, "/v1/models/{id}")
    }

    func testAuthFailuresAnsweredInTheRoutesEnvelope() async throws {
        let r = router()
        let w = MiddlewareRecordingWriter()
        await r.handle(request("POST", "/v1/messages", key: nil), writer: w, keys: keys)
        XCTAssertEqual(w.last?.status, 401)
        XCTAssertEqual((try json(w.last)["error"] as? [String: Any])?["type"] as? String, "authentication_error")
        XCTAssertEqual((try json(w.last)["error"] as? [String: Any])?["message"] as? String, "Missing API key")

        await r.handle(request("GET", "/v1/models", key: "sk-wrong"), writer: w, keys: keys)
        XCTAssertEqual(w.last?.status, 401)
        XCTAssertEqual((try json(w.last)["error"] as? [String: Any])?["code"] as? String, "invalid_api_key")
        XCTAssertFalse(String(decoding: w.last!.body, as: UTF8.self).contains("sk-wrong"))

        await r.handle(request("POST", "/v1/models/x/load", key: "sk-member"), writer: w, keys: keys)
        XCTAssertEqual(w.last?.status, 403)
        XCTAssertNotNil(try json(w.last)["detail"] as? String)

        let ctx = await r.handle(request("GET", "/health", key: nil), writer: w, keys: keys)
        XCTAssertEqual(w.last?.status, 200)
        XCTAssertNotNil(ctx)
        XCTAssertNil(ctx?.principal)
    }

    func testRateLimitedRoutesAreAdmittedByTheLimiter() async throws {
        let limiter = RateLimiter(limits: RateLimits(requestsPerMinute: 1), clock: MiddlewareFakeClock().now)
        let r = router()
        let w = MiddlewareRecordingWriter()
        await r.handle(request("POST", "/v1/chat/completions"), writer: w, keys: keys, limiter: limiter)
        XCTAssertEqual(w.last?.status, 200)
        await r.handle(request("POST", "/v1/chat/completions"), writer: w, keys: keys, limiter: limiter)
        XCTAssertEqual(w.last?.status, 429)
        XCTAssertEqual(w.last?.headers["Retry-After"], "60")
        let error = try XCTUnwrap(try json(w.last)["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "rate_limit_error")
        XCTAssertEqual(error["message"] as? String, "Rate limit exceeded for organisation 'acme': requests per minute (1)")
        // Routes that are not rate limited are not counted.
        await r.handle(request("GET", "/v1/models"), writer: w, keys: keys, limiter: limiter)
        XCTAssertEqual(w.last?.status, 200)
    }
}
