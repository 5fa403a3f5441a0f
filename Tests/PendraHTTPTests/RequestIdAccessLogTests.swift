import Foundation
import XCTest
@testable import PendraHTTP

final class RequestIdAccessLogTests: XCTestCase {
    private func entry(path: String = "/v1/chat/completions?key=sk-query-secret") -> AccessLogEntry {
        AccessLogEntry(method: "POST", path: path, status: 200, durationMs: 812.44, requestId: "req_0123",
                       model: "llama 3", promptTokens: 31, completionTokens: 64,
                       requestBody: Array(#"{"messages":[{"role":"user","content":"hi"}]}"#.utf8),
                       responseBody: Array("{\"ok\":true}".utf8))
    }

    func testLineHasTheFieldsAndNoQueryString() {
        XCTAssertEqual(AccessLog().line(entry()),
                       #"method=POST path=/v1/chat/completions status=200 duration_ms=812.4 request_id=req_0123 model="llama 3" prompt_tokens=31 completion_tokens=64"#)
    }

    func testOptionalFieldsAreOmitted() {
        let e = AccessLogEntry(method: "GET", path: "/health", status: 204, durationMs: 0.04, requestId: "req_1")
        XCTAssertEqual(AccessLog().line(e), "method=GET path=/health status=204 duration_ms=0.0 request_id=req_1")
    }

    func testLineNeverContainsAKey() {
        // The entry type has no headers at all; the only way a key could
        // leak is through the query string, which is cut off.
        let line = AccessLog(logBodies: false).line(entry())
        XCTAssertFalse(line.contains("sk-query-secret"))
        XCTAssertFalse(line.contains("messages"), "bodies only with the debug flag")
        let mirror = Mirror(reflecting: entry()).children.compactMap(\.label)
        XCTAssertFalse(mirror.contains { $0.lowercased().contains("header") || $0.lowercased().contains("key") })
    }

    func testDebugFlagLogsClippedBodies() {
        let line = AccessLog(logBodies: true, bodyLimit: 12).line(entry())
        XCTAssertTrue(line.contains(#"request_body="{\"messages\":…(45 bytes)""#), line)
        XCTAssertTrue(line.contains(#"response_body="{\"ok\":true}""#), line)
    }

    func testValuesCannotForgeLines() {
        let e = AccessLogEntry(method: "GET", path: "/x\nmethod=FAKE", status: 404, durationMs: 1, requestId: "r",
                               model: "a\"b\u{1}")
        let line = AccessLog().line(e)
        XCTAssertFalse(line.contains("\n"))
        XCTAssertTrue(line.contains(#"path="/x\nmethod=FAKE""#), line)
        XCTAssertTrue(line.contains(#"model="a\"b\x01""#), line)
    }

    func testRecordWritesThroughLogAtInfo() {
        let lines = MiddlewareLinesBox()
        let previous = Log.setSink { lines.append($0) }
        let level = Log.level
        defer { Log.setSink(previous); Log.level = level }

        Log.level = .info
        AccessLog().record(entry())
        Log.level = .warn
        AccessLog().record(entry())
        XCTAssertEqual(lines.all.count, 1)
        XCTAssertTrue(lines.all[0].contains(" INFO method=POST path=/v1/chat/completions "), lines.all[0])
        XCTAssertTrue(lines.all[0].hasSuffix("\n"))
    }

    func testLogLevelsFilterAndLinesAreSingle() {
        let lines = MiddlewareLinesBox()
        let previous = Log.setSink { lines.append($0) }
        let level = Log.level
        defer { Log.setSink(previous); Log.level = level }

        Log.level = .warn
        Log.error("e")
        Log.warn("w")
        Log.info("i")
        Log.debug("d")
        Log.write(level: .warn, message: "llama: two\nlines\n")
        XCTAssertEqual(lines.all.map { String($0.split(separator: " ", maxSplits: 1)[1]) },
                       ["ERROR e\n", "WARN w\n", "WARN llama: two\\nlines\n"])
        Log.level = .debug
        Log.debug("now")
        XCTAssertEqual(lines.all.count, 4)
        XCTAssertEqual(Log.Level(parsing: "WARNING"), .warn)
        XCTAssertEqual(Log.Level(parsing: "debug"), .debug)
        XCTAssertNil(Log.Level(parsing: "loud"))
    }

    func testTimestampFormat() {
        XCTAssertEqual(Log.timestamp(Date(timeIntervalSince1970: 1_700_000_000.1234)), "2023-11-14T22:13:20.123Z")
        XCTAssertEqual(Log.format(level: .error, message: "x", at: Date(timeIntervalSince1970: 0)),
                       "1970-01-01T00:00:00.000Z ERROR x\n")
    }
}

final class MiddlewareLinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
