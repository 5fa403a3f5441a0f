import XCTest
@testable import PendraEngine

/// A Mistral call group whose first calls were streamed and whose rest is not
/// a call: the calls already sent must not come back, neither again nor as text.
final class MistralCallStreamerTests: XCTestCase {
    private let getTime = GenerationEvent.toolCall(ToolCallDelta(index: 0, id: "call_1", name: "get_time", arguments: "{}"))

    /// The calls (their deltas merged) and all content, joined; fed whole, then in one-character deltas.
    private func assertReply(_ text: String, calls: [GenerationEvent], content: String, file: StaticString = #filePath, line: UInt = #line) {
        for deltas in [[text], text.map(String.init)] {
            var p = OutputParser(OutputSpec(toolFormat: .mistral, tools: ToolFixtures.all), parser: ToolFixtures.parser())
            var out: [GenerationEvent] = []
            for d in deltas { out += p.feed(d) }
            out += p.finish()
            let merged = OutputParserTests.merged(out)
            XCTAssertEqual(merged.filter { if case .toolCall = $0 { true } else { false } }, calls, "\(deltas.count) deltas", file: file, line: line)
            let texts = merged.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
            XCTAssertEqual(texts, content, "\(deltas.count) deltas", file: file, line: line)
        }
    }

    func testACutInTheSecondItemKeepsTheFirstCallOnce() {
        // max_tokens cut inside the second call's head: the fragment is text, call 0 is not repeated.
        assertReply(#"[TOOL_CALLS][{"name":"get_time","arguments":{}}, {"na"#, calls: [getTime], content: #"{"na"#)
        // Cut right after the comma: nothing more to say.
        assertReply(#"[TOOL_CALLS][{"name":"get_time","arguments":{}}, "#, calls: [getTime], content: "")
    }

    func testANonObjectSecondItemIsTextAfterTheFirstCall() {
        assertReply(#"Sure. [TOOL_CALLS][{"name": "get_time", "arguments": {}}, "later"]"#, calls: [getTime], content: #"Sure. "later"]"#)
    }

    func testAWholeGroupThatNeverStreamedIsStillParsedWhole() {
        // Nothing of the group was sent: a cut or odd group is the text it was (as before).
        assertReply(#"[TOOL_CALLS]["get_time"]"#, calls: [], content: #"[TOOL_CALLS]["get_time"]"#)
        assertReply(#"[TOOL_CALLS][{"na"#, calls: [], content: #"[TOOL_CALLS][{"na"#)
    }
}
