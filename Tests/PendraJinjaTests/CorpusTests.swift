import Foundation
import XCTest
@testable import PendraJinja

/// Renders every llama.cpp template against every conversation in the committed
/// fixtures (produced by scripts/jinja_reference.py with Python jinja2 in Hugging
/// Face's environment). Strict: where jinja2 renders, Pendra's output must be
/// byte-identical; where jinja2 raises, Pendra must raise with the same message.
/// There is no pass rate: every pair must agree or be listed in `knownDifferences`.
final class CorpusTests: XCTestCase {
    /// 2025-01-02 03:04:05 UTC, the date jinja_reference.py gives `strftime_now`.
    static let fixedDate = Date(timeIntervalSince1970: 1_735_787_045)

    /// Pairs ("template x conversation") allowed to differ, each with the reason.
    /// Keep it empty unless a difference is a deliberate choice.
    static let knownDifferences: [String: String] = [:]

    static var templatesDirectory: URL {
        let root = ProcessInfo.processInfo.environment["PENDRA_LLAMA_SRC"]
            ?? "/root/.cache/pendra/src/llama-cpp-python-0.3.36/vendor/llama.cpp"
        return URL(fileURLWithPath: root).appendingPathComponent("models/templates")
    }

    static func loadFixtures() throws -> JinjaObject {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/corpus.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        guard case .object(let fixtures) = try JinjaValue(jsonText: text) else {
            throw JinjaError.runtime("corpus.json is not an object")
        }
        return fixtures
    }

    func testCorpusMatchesJinja2() throws {
        let directory = CorpusTests.templatesDirectory
        guard FileManager.default.fileExists(atPath: directory.path) else {
            // `make test` unpacks llama.cpp first; a missing corpus is a broken setup, not a pass.
            return XCTFail("llama.cpp templates not found at \(directory.path); run `make deps` or set PENDRA_LLAMA_SRC")
        }
        let fixtures = try CorpusTests.loadFixtures()
        guard case .object(let conversations)? = fixtures["conversations"],
              case .object(let expected)? = fixtures["expected"] else {
            return XCTFail("corpus.json lacks conversations / expected")
        }
        var total = 0, raised = 0
        var failures: [String] = []
        var excused: Set<String> = []
        for name in expected.keys {
            guard case .object(let perConversation)? = expected[name] else { continue }
            let source = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let template = Result { try JinjaTemplate(source) }
            for conversation in perConversation.keys {
                total += 1
                let pair = "\(name) x \(conversation)"
                guard case .object(let context)? = conversations[conversation] else {
                    failures.append("\(pair): no such conversation in the fixture"); continue
                }
                let variables = Dictionary(uniqueKeysWithValues: context.pairs.map { ($0.key, $0.value) })
                let actual = Result { try template.get().render(variables, now: CorpusTests.fixedDate) }
                if case .object? = perConversation[conversation] { raised += 1 }
                guard let problem = Self.difference(perConversation[conversation], actual) else { continue }
                if CorpusTests.knownDifferences[pair] != nil { excused.insert(pair); continue }
                failures.append("\(pair): \(problem)")
            }
        }
        print("Jinja corpus: \(total - failures.count - excused.count)/\(total) pairs identical to jinja2 "
              + "(\(raised) raise in jinja2), \(excused.count) known differences")
        XCTAssertGreaterThan(total, 0)
        XCTAssertEqual(failures, [], "pairs that differ from jinja2")
        // An entry that no longer differs must leave the list.
        XCTAssertEqual(Set(CorpusTests.knownDifferences.keys).subtracting(excused), [], "stale knownDifferences entries")
    }

    /// nil when Pendra agrees with jinja2, else what differs.
    static func difference(_ expected: JinjaValue?, _ actual: Result<String, Error>) -> String? {
        switch (expected, actual) {
        case (.string(let want)?, .success(let got)):
            return want == got ? nil : "output differs at \(firstDifference(want, got))"
        case (.string?, .failure(let error)):
            return "Swift raised \(error) where jinja2 rendered"
        case (.object(let error)?, .success):
            return "jinja2 raised \(error["error"]?.text ?? "") but Swift rendered"
        case (.object(let error)?, .failure(let swiftError)):
            let want = jinja2Message(error["error"]?.text ?? "")
            let got = (swiftError as? JinjaError)?.message ?? "\(swiftError)"
            return want == got ? nil : "jinja2 raised \(want.debugDescription), Swift \(got.debugDescription)"
        default:
            return "malformed fixture"
        }
    }

    /// The message of jinja_reference.py's "ExceptionClass: message". The class is not
    /// compared: Pendra's errors are typed by stage (syntax, runtime, raised), not by
    /// Python's exception hierarchy, and the HTTP error shows only the message.
    static func jinja2Message(_ recorded: String) -> String {
        guard let colon = recorded.range(of: ": ") else { return recorded }
        return String(recorded[colon.upperBound...])
    }

    /// "offset N: expected '…' got '…'", enough context to see the problem.
    static func firstDifference(_ want: String, _ got: String) -> String {
        let a = Array(want.unicodeScalars), b = Array(got.unicodeScalars)
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        func window(_ s: [Unicode.Scalar]) -> String {
            let slice = s[max(0, i - 20)..<min(s.count, i + 40)]
            return String(String.UnicodeScalarView(slice)).debugDescription
        }
        return "offset \(i): expected \(window(a)) got \(window(b))"
    }
}
