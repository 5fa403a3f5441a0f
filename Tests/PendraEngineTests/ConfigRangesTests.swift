import XCTest
@testable import PendraEngine

/// Every numeric field is range-checked, in one line naming the field.
final class ConfigRangesTests: XCTestCase {
    private func load(server: String = "{}", model: String = "") throws -> ServerConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pendra-ranges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.json")
        let m = model.isEmpty ? "" : ", " + model
        try Data("{\"server\": \(server), \"models\": [{\"id\": \"a\", \"path\": \"a.gguf\"\(m)}]}".utf8).write(to: file)
        return try ServerConfig.load(path: file.path)
    }

    private func message(server: String = "{}", model: String = "") -> String? {
        do { _ = try load(server: server, model: model); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
    }

    func testTimeoutsMustBePositive() {
        for field in ["chat_timeout_seconds", "embedding_timeout_seconds", "header_timeout_seconds", "idle_timeout_seconds",
                      "body_timeout_seconds", "keep_alive_seconds"] {
            for bad in ["0", "-1", "1e12"] {
                let m = message(server: "{\"\(field)\": \(bad)}")
                XCTAssertNotNil(m, "\(field)=\(bad) accepted")
                XCTAssertTrue(m?.hasPrefix("server.\(field) must be ") == true, m ?? "")
                XCTAssertFalse(m?.contains("\n") ?? true)
            }
            XCTAssertNil(message(server: "{\"\(field)\": 0.5}"), field)
        }
    }

    func testSizesAndCounts() {
        XCTAssertEqual(message(server: "{\"max_body_mb\": 1e15}"), "server.max_body_mb must be from 1 to 4096, not 1000000000000000")
        XCTAssertEqual(message(server: "{\"max_connections\": 0}"), "server.max_connections must be from 1 to 1000000, not 0")
        XCTAssertNotNil(message(server: "{\"requests_per_minute\": -5}"))
        XCTAssertNotNil(message(server: "{\"max_buffered_mb\": 0}"))
        XCTAssertEqual(message(model: "\"parallel\": 1000"), "models[0].parallel must be from 1 to 256, not 1000")
        XCTAssertEqual(message(model: "\"context_size\": 8"), "models[0].context_size must be from 16 to 16777216, not 8")
        XCTAssertNotNil(message(model: "\"threads\": 0"))
        XCTAssertEqual(message(model: "\"prefix_cache_ram_mb\": -1"),
                       "models[0].prefix_cache_ram_mb must be from 0 to 1048576, not -1")
        XCTAssertEqual(try load(model: "\"prefix_cache_ram_mb\": 0").models[0].prefixCacheRAMMB, 0, "0 turns it off")
        XCTAssertEqual(try load().models[0].prefixCacheRAMMB, ModelEntry.defaultPrefixCacheRAMMB)
        XCTAssertNotNil(message(model: "\"gpu_layers\": -2"))
    }

    func testSecurityFields() throws {
        let c = try load(server: "{\"allowed_hosts\": [\"box.lan\"], \"cors_origins\": [\"http://localhost:3000\"], \"max_buffered_mb\": 64, \"body_timeout_seconds\": 5}")
        XCTAssertEqual(c.security.allowedHosts, ["box.lan"])
        XCTAssertEqual(c.security.corsOrigins, ["http://localhost:3000"])
        XCTAssertEqual(c.security.maxBufferedBytes, 64 << 20)
        XCTAssertEqual(c.security.bodyTimeoutSeconds, 5)
        XCTAssertEqual(message(server: "{\"cors_origins\": [\"localhost:3000\"]}"),
                       "server.cors_origins entry \"localhost:3000\" must be an origin such as http://localhost:3000, or *")
        XCTAssertEqual(message(server: "{\"allowed_hosts\": \"box\"}"), "server.allowed_hosts must be an array of strings")
    }
}
