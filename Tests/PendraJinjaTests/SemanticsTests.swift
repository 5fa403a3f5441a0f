import Foundation
import XCTest
@testable import PendraJinja

/// One small template per construct, with jinja2's output committed in
/// Fixtures/semantics.json by scripts/jinja_reference.py: whitespace control, loops,
/// namespaces, macros, operators, literals, tests, filters and methods. Where jinja2
/// raises, Pendra must raise with the same message.
final class SemanticsTests: XCTestCase {
    func testSmallTemplatesMatchJinja2() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/semantics.json")
        guard case .array(let cases) = try JinjaValue(jsonText: try String(contentsOf: url, encoding: .utf8)) else {
            return XCTFail("semantics.json is not a list")
        }
        XCTAssertGreaterThan(cases.count, 40)
        for entry in cases {
            guard case .object(let item) = entry, case .string(let source)? = item["source"],
                  case .object(let context)? = item["context"] else { return XCTFail("malformed case \(entry)") }
            let variables = Dictionary(uniqueKeysWithValues: context.pairs.map { ($0.key, $0.value) })
            let result = Result {
                try JinjaTemplate(source).render(variables, now: CorpusTests.fixedDate)
            }
            // Same rule as the corpus: identical output, or the same error message.
            if let problem = CorpusTests.difference(item["expected"], result) {
                XCTFail("template: \(source): \(problem)")
            }
        }
    }
}
