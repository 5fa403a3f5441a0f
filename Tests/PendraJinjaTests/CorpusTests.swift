import Foundation
import XCTest
@testable import PendraJinja

/// Renders every llama.cpp template against every conversation in the committed
/// fixtures (produced by scripts/jinja_reference.py with Python jinja2 in Hugging
/// Face's environment) and compares byte for byte. Where jinja2 raised, Swift must
/// raise too.
final class CorpusTests: XCTestCase {
    /// 2025-01-02 03:04:05 UTC, the date jinja_reference.py gives `strftime_now`.
    static let fixedDate = Date(timeIntervalSince1970: 1_735_787_045)
    static let requiredPassRate = 0.95

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
        var passed = 0
        var total = 0
        var failures: [String] = []
        for name in expected.keys {
            guard case .object(let perConversation)? = expected[name] else { continue }
            let source = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let template = Result { try JinjaTemplate(source) }
            for conversation in perConversation.keys {
                total += 1
                guard case .object(let context)? = conversations[conversation] else { continue }
                let variables = Dictionary(uniqueKeysWithValues: context.pairs.map { ($0.key, $0.value) })
                let actual = Result { try template.get().render(variables, now: CorpusTests.fixedDate) }
                switch (perConversation[conversation], actual) {
                case (.string(let want)?, .success(let got)) where want == got:
                    passed += 1
                case (.object?, .failure):
                    passed += 1
                case (.string(let want)?, .success(let got)):
                    failures.append("\(name) x \(conversation): output differs at \(Self.firstDifference(want, got))")
                case (.string?, .failure(let error)):
                    failures.append("\(name) x \(conversation): Swift raised \(error)")
                case (.object(let error)?, .success):
                    failures.append("\(name) x \(conversation): jinja2 raised \(error["error"]?.text ?? "") but Swift rendered")
                default:
                    failures.append("\(name) x \(conversation): malformed fixture")
                }
            }
        }
        let rate = total == 0 ? 0 : Double(passed) / Double(total)
        print("Jinja corpus: \(passed)/\(total) pairs match jinja2 (\(String(format: "%.1f", rate * 100))%)")
        for failure in failures { print("  FAIL \(failure)") }
        XCTAssertGreaterThan(total, 0)
        XCTAssertGreaterThanOrEqual(rate, CorpusTests.requiredPassRate, "pass rate below 95%")
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
