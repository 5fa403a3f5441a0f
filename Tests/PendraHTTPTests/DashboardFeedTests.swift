import XCTest
@testable import PendraHTTP

final class DashboardFeedTests: XCTestCase {
    func testRingKeepsTheNewestInOrder() {
        let ring = RequestHistory(capacity: 3)
        XCTAssertEqual(ring.last(10), [])
        for i in 1...5 { ring.record(record("r\(i)")) }
        XCTAssertEqual(ring.last(10).map(\.id), ["r3", "r4", "r5"])
        XCTAssertEqual(ring.last(2).map(\.id), ["r4", "r5"])
        XCTAssertEqual(ring.last(0).map(\.id), [])
        ring.record(record("r6"))
        XCTAssertEqual(ring.last(3).map(\.id), ["r4", "r5", "r6"])
    }

    func testRingSkipsThePagesOwnRoutes() {
        let ring = RequestHistory(capacity: 4)
        for route in ["/", "/ui/{file}", DashboardRoute.path, "/v1/chat/completions"] { ring.record(record(route, route: route)) }
        XCTAssertEqual(ring.last(4).map(\.route), ["/v1/chat/completions"])
    }

    func testRatesBetweenSamples() {
        let t = ThroughputHistory(interval: 2, capacity: 3)
        XCTAssertEqual(t.rates(), [])
        t.add(.init(time: 100, decodedTokens: 0, completionTokens: 0))
        t.add(.init(time: 102, decodedTokens: 50, completionTokens: 10))
        t.add(.init(time: 104, decodedTokens: 50, completionTokens: 30))
        t.add(.init(time: 106, decodedTokens: 40, completionTokens: 30))   // a series reset reads as 0
        XCTAssertEqual(t.rates(), [
            .init(time: 104, decodedPerSecond: 0, completionPerSecond: 10),
            .init(time: 106, decodedPerSecond: 0, completionPerSecond: 0),
        ])
    }

    func testFeedShape() throws {
        let model = DashboardFeed.ModelFacts(id: "smollm2:135m", name: "SmolLM2", capability: "chat", loaded: true, preload: true,
                                             memoryBytes: 123, memoryEstimated: false, kvCellsUsed: 40, kvCellsTotal: 8192,
                                             activeSequences: 1, queuedSequences: 2, promptTokens: 30, promptTokensReused: 12,
                                             completionTokens: 7)
        var done = record("req_1", route: "/v1/chat/completions")
        done.model = "smollm2:135m"
        done.promptTokens = 30
        done.completionTokens = 7
        done.clientClosed = true
        let json = DashboardFeed.json(time: 5, uptime: 3, defaultModel: "smollm2:135m", models: [model], interval: 2,
                                      rates: [.init(time: 5, decodedPerSecond: 1.5, completionPerSecond: 0.5)],
                                      requests: [record("req_0"), done])
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), """
        {"time":5.0,"uptime_seconds":3.0,"default_model":"smollm2:135m",\
        "models":[{"id":"smollm2:135m","name":"SmolLM2","capability":"chat","loaded":true,"on_demand":false,\
        "memory_bytes":123,"memory_estimated":false,"kv_cells_used":40,"kv_cells_total":8192,"active_sequences":1,\
        "queued_sequences":2,"prompt_tokens":30,"prompt_tokens_reused":12,"completion_tokens":7}],\
        "throughput":{"interval_seconds":2.0,"points":[{"time":5.0,"decoded_tokens_per_second":1.5,"completion_tokens_per_second":0.5}]},\
        "requests":[{"id":"req_1","time":1.0,"method":"POST","route":"/v1/chat/completions","status":200,"duration_ms":12.5,\
        "model":"smollm2:135m","prompt_tokens":30,"completion_tokens":7,"client_closed":true},\
        {"id":"req_0","time":1.0,"method":"POST","route":"/v1/chat/completions","status":200,"duration_ms":12.5,\
        "model":null,"prompt_tokens":null,"completion_tokens":null,"client_closed":false}]}
        """)
    }

    private func record(_ id: String, route: String = "/v1/chat/completions") -> RequestRecord {
        RequestRecord(id: id, time: 1, method: "POST", route: route, status: 200, durationMs: 12.5)
    }
}
