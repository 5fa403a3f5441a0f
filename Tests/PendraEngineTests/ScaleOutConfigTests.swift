import XCTest
@testable import PendraEngine

/// rpc_servers, tensor_split, isolated, worker_id and the drain / child
/// settings: accepted as documented, refused in one line naming the field.
final class ScaleOutConfigTests: XCTestCase {
    private func load(server: String = "{}", model: String = "", extraModel: String = "") throws -> ServerConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pendra-scale-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.json")
        let m = model.isEmpty ? "" : ", " + model
        let extra = extraModel.isEmpty ? "" : ", " + extraModel
        try Data("{\"server\": \(server), \"models\": [{\"id\": \"a\", \"path\": \"a.gguf\"\(m)}\(extra)]}".utf8).write(to: file)
        return try ServerConfig.load(path: file.path)
    }

    private func message(server: String = "{}", model: String = "") -> String? {
        do { _ = try load(server: server, model: model); return nil } catch let e as ConfigError { return e.message } catch { return "\(error)" }
    }

    func testEndpointParsing() {
        XCTAssertEqual(RPCEndpoint.parse("127.0.0.1:50052"), RPCEndpoint(host: "127.0.0.1", port: 50052))
        XCTAssertEqual(RPCEndpoint.parse("gpu-2.lan:1"), RPCEndpoint(host: "gpu-2.lan", port: 1))
        XCTAssertEqual(RPCEndpoint.parse("[::1]:9"), RPCEndpoint(host: "::1", port: 9))
        XCTAssertEqual(RPCEndpoint(host: "::1", port: 9).description, "[::1]:9")
        for bad in ["", "host", "host:", ":80", "host:0", "host:65536", "host:+8", "::1:80", "a b:1", "[::1]80", "host:80/x"] {
            XCTAssertNil(RPCEndpoint.parse(bad), bad)
        }
        if case .success(let list) = RPCEndpoint.parseList("a:1, b:2") {
            XCTAssertEqual(list.map(\.description), ["a:1", "b:2"])
        } else { XCTFail("list") }
        if case .failure(let bad) = RPCEndpoint.parseList("a:1,,b:2") { XCTAssertEqual(bad.text, "") } else { XCTFail("empty item") }
    }

    func testRPCFieldsAccepted() throws {
        let c = try load(model: "\"rpc_servers\": [\"10.0.0.2:50052\", \"10.0.0.3:50052\"], \"tensor_split\": [1, 2.5]")
        XCTAssertEqual(c.models[0].rpcServers.map(\.description), ["10.0.0.2:50052", "10.0.0.3:50052"])
        XCTAssertEqual(c.models[0].tensorSplit, [1, 2.5])
        XCTAssertTrue(c.models[0].runsInChild)
        let plain = try load()
        XCTAssertTrue(plain.models[0].rpcServers.isEmpty)
        XCTAssertFalse(plain.models[0].runsInChild)
        XCTAssertTrue(try load(model: "\"isolated\": true").models[0].runsInChild)
    }

    func testRPCFieldErrorsNameTheField() {
        XCTAssertEqual(message(model: "\"rpc_servers\": \"a:1\""), "models[0].rpc_servers must be a list of \"host:port\" strings")
        XCTAssertEqual(message(model: "\"rpc_servers\": [\"a:1\", \"b\"]"),
                       "models[0].rpc_servers[1] must be \"host:port\" with a port from 1 to 65535, not \"b\"")
        XCTAssertEqual(message(model: "\"rpc_servers\": [\"a:70000\"]"),
                       "models[0].rpc_servers[0] must be \"host:port\" with a port from 1 to 65535, not \"a:70000\"")
        XCTAssertEqual(message(model: "\"rpc_servers\": [\"a:1\", \"a:1\"]"), "models[0].rpc_servers[1] \"a:1\" appears twice")
        let many = (1...17).map { "\"h:\($0)\"" }.joined(separator: ",")
        XCTAssertEqual(message(model: "\"rpc_servers\": [\(many)]"), "models[0].rpc_servers lists 17 servers; at most 16")
        XCTAssertEqual(message(model: "\"tensor_split\": []"), "models[0].tensor_split must be a list of 1 to 16 numbers (one per device)")
        XCTAssertEqual(message(model: "\"tensor_split\": [1, -1]"), "models[0].tensor_split[1] must be a number from 0 to 1000000, not -1")
        XCTAssertEqual(message(model: "\"tensor_split\": [1, true]"), "models[0].tensor_split[1] must be a number from 0 to 1000000, not true")
        XCTAssertEqual(message(model: "\"tensor_split\": [0, 0]"), "models[0].tensor_split must not be all zeros")
        XCTAssertEqual(message(model: "\"isolated\": 1"), "models[0].isolated must be true or false")
    }

    func testServerFields() throws {
        let c = try load(server: "{\"worker_id\": \"gpu-box-1\", \"drain_seconds\": 30, \"drain_notice_seconds\": 5, \"child_retry_limit\": 3, \"child_retry_seconds\": 0.5}")
        XCTAssertEqual(c.workerID, "gpu-box-1")
        XCTAssertEqual(c.drainSeconds, 30)
        XCTAssertEqual(c.drainNoticeSeconds, 5)
        XCTAssertEqual(c.childRetryLimit, 3)
        XCTAssertEqual(c.childRetrySeconds, 0.5)
        let d = try load()
        XCTAssertNil(d.workerID)
        XCTAssertEqual(d.drainSeconds, 10)
        XCTAssertEqual(d.drainNoticeSeconds, 0)
        XCTAssertEqual(message(server: "{\"worker_id\": \"has space\"}"),
                       "server.worker_id must be 1 to 128 letters, digits or . _ : -, not \"has space\"")
        XCTAssertEqual(message(server: "{\"worker_id\": \"\"}"), "server.worker_id must be 1 to 128 letters, digits or . _ : -, not \"\"")
        XCTAssertEqual(message(server: "{\"drain_seconds\": -1}"), "server.drain_seconds must be from 0 to 3600 seconds, not -1")
        XCTAssertEqual(message(server: "{\"child_retry_seconds\": 0}"),
                       "server.child_retry_seconds must be more than 0 and at most 3600 seconds, not 0")
        XCTAssertEqual(message(server: "{\"child_retry_limit\": 1001}"), "server.child_retry_limit must be from 0 to 1000, not 1001")
    }

    func testRPCFlag() throws {
        var c = try load(extraModel: "{\"id\": \"e\", \"path\": \"e.gguf\", \"capability\": \"embedding\"}")
        try c.applyRPCFlag("127.0.0.1:1,127.0.0.1:2")
        XCTAssertEqual(c.models[0].rpcServers.count, 2, "chat models get the servers")
        XCTAssertTrue(c.models[1].rpcServers.isEmpty, "an embedding model keeps running here")
        try c.applyRPCFlag("e=h:9")
        XCTAssertEqual(c.models[1].rpcServers, [RPCEndpoint(host: "h", port: 9)])
        func flagError(_ spec: String) -> String? {
            var copy = c
            do { try copy.applyRPCFlag(spec); return nil } catch { return error.message }
        }
        XCTAssertEqual(flagError("nope=h:1"), "--rpc: no model \"nope\" in the config (models: a, e)")
        XCTAssertEqual(flagError("h"), "--rpc: \"h\" is not host:port with a port from 1 to 65535")
        XCTAssertEqual(flagError("a=h:1,h:1"), "--rpc: a server appears twice in h:1,h:1")
        XCTAssertEqual(flagError("h:5"), "--rpc: no chat model without rpc_servers to apply it to; use --rpc MODEL=HOST:PORT,...")
    }

    func testChildConfigServesOneModelInProcess() throws {
        let c = try load(server: "{\"api_keys\": [{\"key\": \"k\", \"role\": \"owner\"}], \"requests_per_minute\": 5, \"drain_notice_seconds\": 3, \"default_model\": \"a\"}",
                         model: "\"rpc_servers\": [\"h:1\"], \"preload\": false",
                         extraModel: "{\"id\": \"b\", \"path\": \"b.gguf\"}")
        let child = try c.forChild(serving: "a")
        XCTAssertEqual(child.models.map(\.id), ["a"])
        XCTAssertTrue(child.models[0].preload)
        XCTAssertTrue(child.loadsChildModelsInProcess)
        XCTAssertTrue(child.apiKeys.isEmpty)
        XCTAssertEqual(child.requestsPerMinute, 0)
        XCTAssertEqual(child.drainNoticeSeconds, 0)
        XCTAssertEqual(child.defaultModel, "a")
        XCTAssertNil(try c.forChild(serving: "b").defaultModel)
        XCTAssertThrowsError(try c.forChild(serving: "zz"))
    }
}
