import Foundation
import XCTest
@testable import PendraJinja

/// One small template per construct, with jinja2's output committed in
/// Fixtures/semantics.json by scripts/jinja_reference.py: whitespace control, loops,
/// namespaces, macros, operators, literals, tests, filters and methods.
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
            switch (item["expected"], result) {
            case (.string(let want)?, .success(let got)):
                XCTAssertEqual(got, want, "template: \(source)")
            case (.object?, .failure):
                break
            case (_, .failure(let error)):
                XCTFail("template: \(source) raised \(error)")
            default:
                XCTFail("template: \(source) rendered but jinja2 raised")
            }
        }
    }
}
