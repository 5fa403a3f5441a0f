import XCTest
@testable import PendraHTTP

final class BrowserGuardTests: XCTestCase {
    func testLoopbackHostsOnlyUnlessListed() {
        let g = BrowserGuard(allowedHosts: ["gpu.lan", "10.0.0.5:8080"])
        for h in ["localhost", "localhost:8080", "LOCALHOST.", "a.localhost:1", "127.0.0.1", "127.1.2.3:9",
                  "[::1]", "[::1]:8080", "gpu.lan", "gpu.lan:8080", "10.0.0.5:8080"] {
            XCTAssertTrue(g.hostAllowed(h), h)
        }
        for h in ["attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io", "128.0.0.1", "127.0.0.256",
                  "10.0.0.5", "10.0.0.5:9090", "[::2]", "", "127.0.0"] {
            XCTAssertFalse(g.hostAllowed(h), h)
        }
        XCTAssertTrue(g.hostAllowed(nil))
        XCTAssertTrue(BrowserGuard(allowedHosts: ["*"]).hostAllowed("anything.example"))
    }

    func testOrigins() {
        let g = BrowserGuard(corsOrigins: ["http://app.example:3000/"])
        var h: HTTPHeaders = ["Host": "127.0.0.1:8080"]
        XCTAssertEqual(g.origin(h), .absent)
        h.set("Origin", "http://app.example:3000")
        XCTAssertEqual(g.origin(h), .allowed("http://app.example:3000"))
        h.set("Origin", "http://attacker.example")
        XCTAssertEqual(g.origin(h), .refused("http://attacker.example"))
        h.set("Origin", "null")
        XCTAssertEqual(g.origin(h), .refused("null"))
        h.set("Origin", "http://127.0.0.1:8080")
        XCTAssertEqual(g.origin(h), .absent, "same origin")
    }

    func testContentTypes() {
        XCTAssertTrue(BrowserGuard.isJSON("application/json"))
        XCTAssertTrue(BrowserGuard.isJSON("Application/JSON; charset=utf-8"))
        XCTAssertTrue(BrowserGuard.isJSON("application/vnd.api+json"))
        for t in [nil, "", "text/plain", "text/plain; a=application/json", "application/x-www-form-urlencoded",
                  "multipart/form-data", "application/jsonp"] {
            XCTAssertFalse(BrowserGuard.isJSON(t), String(describing: t))
        }
    }
}
