import Foundation
import XCTest
@testable import PendraEngine
@testable import PendraHTTP

/// The web page's pure parts: the embedded files against web/, the page's
/// references and policy, its routes on and off, and the feed's shape.
final class WebUITests: XCTestCase {
    private static let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("web")

    func testGeneratedAssetsAreCurrentWithWebSources() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.web.path)
            .filter { [".html", ".css", ".js", ".svg"].contains(where: $0.hasSuffix) }.sorted()
        XCTAssertEqual(WebAssets.files.keys.sorted(), names, "run python3 scripts/embed_webui.py")
        for name in names {
            let source = try String(contentsOf: Self.web.appendingPathComponent(name), encoding: .utf8)
            XCTAssertEqual(WebAssets.files[name], source, "\(name) changed: run python3 scripts/embed_webui.py")
        }
    }

    /// Nothing a strict CSP would block: no inline script or style, no
    /// event-handler attributes, no javascript: URLs, no other origin.
    func testPageHasNoInlineCodeAndNamesOnlyServedFiles() throws {
        let html = try XCTUnwrap(WebAssets.files["index.html"])
        for bad in ["<style", " style=", "javascript:", "http://", "https://", "eval("] {
            XCTAssertFalse(html.contains(bad), bad)
        }
        XCTAssertNil(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression), "inline event handler")
        let scripts = html.components(separatedBy: "<script").dropFirst()
        XCTAssertFalse(scripts.isEmpty)
        for tag in scripts { XCTAssertTrue(tag.hasPrefix(" type=\"module\" src=\"/ui/"), "inline script: \(tag.prefix(40))") }
        let referenced = try NSRegularExpression(pattern: #"/ui/([A-Za-z0-9_.-]+)"#)
        for m in referenced.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let name = String(html[Range(m.range(at: 1), in: html)!])
            XCTAssertNotNil(WebAssets.files[name], "index.html names /ui/\(name), which is not embedded")
        }
        let imports = try NSRegularExpression(pattern: #"from "\./([A-Za-z0-9_.-]+)""#)
        for (name, text) in WebAssets.files where name.hasSuffix(".js") {
            XCTAssertFalse(text.contains("eval(") || text.contains("new Function") || text.contains("innerHTML"), name)
            XCTAssertFalse(text.contains("setAttribute(\"style\""), name)
            for m in imports.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let dep = String(text[Range(m.range(at: 1), in: text)!])
                XCTAssertNotNil(WebAssets.files[dep], "\(name) imports ./\(dep), which is not embedded")
            }
        }
    }

    func testPolicyHeaders() {
        let csp = WebUIPolicy.contentSecurityPolicy
        for part in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"] {
            XCTAssertTrue(csp.contains(part), part)
        }
        XCTAssertFalse(csp.contains("unsafe"), csp)
        let h = WebUIPolicy.headers
        XCTAssertEqual(h["X-Content-Type-Options"], "nosniff")
        // no-referrer would make the page's own POSTs carry `Origin: null`.
        XCTAssertNotEqual(h["Referrer-Policy"], "no-referrer")
        XCTAssertEqual(WebUIPolicy.contentType("app.css"), "text/css; charset=utf-8")
        XCTAssertEqual(WebUIPolicy.contentType("main.js"), "text/javascript; charset=utf-8")
    }

    /// The origin a browser sends on the page's own POST (scheme, host and
    /// port of the page) is this server's: allowed with the default config.
    func testOwnOriginIsNotForeign() {
        let guardian = BrowserGuard()
        for host in ["127.0.0.1:8080", "localhost:19300", "[::1]:8080"] {
            XCTAssertEqual(guardian.origin(["Host": host, "Origin": "http://" + host]), .absent, host)
        }
        XCTAssertEqual(guardian.origin(["Host": "127.0.0.1:8080", "Origin": "http://127.0.0.1:9999"]), .refused("http://127.0.0.1:9999"))
        XCTAssertEqual(guardian.origin(["Host": "127.0.0.1:8080", "Origin": "null"]), .refused("null"))
    }

    // MARK: Routes

    private func app(webUI: Bool, keys: [APIKey] = []) throws -> PendraApp {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("webui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("config.json")
        try Data(#"{"models": [{"id": "m:1", "path": "absent.gguf", "capability": "chat", "preload": false}]}"#.utf8).write(to: file)
        let config = try ServerConfig.load(path: file.path)
        var options = PendraApp.Options()
        options.webUI = webUI
        return PendraApp(store: ModelStore(config: config), keys: try KeyRegistry(operatorKeys: keys, file: nil),
                         limiter: RateLimiter(limits: RateLimits()), metrics: Metrics(),
                         worker: WorkerIdentity(id: "w", name: "w"), options: options)
    }

    private func get(_ app: PendraApp, _ path: String, headers: HTTPHeaders = ["Host": "127.0.0.1:8080"]) async -> HTTPResponse? {
        let request = HTTPRequest(method: "GET", target: path, path: path, headers: headers)
        if let refused = app.screenHead(request) { return refused }
        let w = MiddlewareRecordingWriter()
        await app.handle(request, w)
        return w.last
    }

    func testPageAndAssetsServedWithPolicy() async throws {
        let a = try app(webUI: true)
        let got = await get(a, "/")
        let page = try XCTUnwrap(got)
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["Content-Type"], "text/html; charset=utf-8")
        XCTAssertEqual(page.headers["Content-Security-Policy"], WebUIPolicy.contentSecurityPolicy)
        XCTAssertEqual(String(decoding: page.body, as: UTF8.self), WebAssets.files["index.html"])
        let gotJS = await get(a, "/ui/main.js")
        let js = try XCTUnwrap(gotJS)
        XCTAssertEqual(js.status, 200)
        XCTAssertEqual(js.headers["Content-Type"], "text/javascript; charset=utf-8")
        for missing in ["/ui/nope.js", "/ui/index.html", "/ui/../Package.swift", "/index.html"] {
            let got = await get(a, missing)
            let r = try XCTUnwrap(got)
            XCTAssertEqual(r.status, 404, missing)
            XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("\"detail\""), missing)
        }
    }

    func testDisabledPageIsAnUnknownRoute() async throws {
        let a = try app(webUI: false)
        for path in ["/", "/ui/main.js", DashboardRoute.path] {
            let got = await get(a, path)
            let r = try XCTUnwrap(got)
            XCTAssertEqual(r.status, 404, path)
            XCTAssertEqual(String(decoding: r.body, as: UTF8.self), #"{"detail":"Not found: \#(RoutePattern.normalize(path))"}"#)
        }
    }

    func testWithKeysThePageIsPublicAndTheFeedIsNot() async throws {
        let a = try app(webUI: true, keys: [APIKey(key: "sk-m", role: .member, organisation: "o")])
        let page = await get(a, "/"), css = await get(a, "/ui/app.css"), feed = await get(a, DashboardRoute.path)
        XCTAssertEqual(page?.status, 200)
        XCTAssertEqual(css?.status, 200)
        XCTAssertEqual(feed?.status, 401)
        let ok = await get(a, DashboardRoute.path, headers: ["Host": "127.0.0.1:8080", "Authorization": "Bearer sk-m"])
        XCTAssertEqual(ok?.status, 200)
    }

    /// The feed lists the request just answered, and not its own polls.
    func testFeedListsRequestsButNotItsOwn() async throws {
        let a = try app(webUI: true)
        _ = await get(a, "/health")
        _ = await get(a, "/nope")
        _ = await get(a, DashboardRoute.path)
        let got = await get(a, DashboardRoute.path)
        let r = try XCTUnwrap(got)
        let feed = try JSON.parse(r.body)
        let routes = feed["requests"]?.array?.compactMap { $0["route"]?.string }
        XCTAssertEqual(routes, ["unmatched", "/health"])
        let model = try XCTUnwrap(feed["models"]?.array?.first)
        XCTAssertEqual(model["id"]?.string, "m:1")
        XCTAssertEqual(model["loaded"]?.bool, false)
        XCTAssertEqual(model["on_demand"]?.bool, true)
    }
}
