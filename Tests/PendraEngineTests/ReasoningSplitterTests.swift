import XCTest
@testable import PendraEngine

final class ReasoningSplitterTests: XCTestCase {
    private func run(_ s: inout ReasoningSplitter, _ deltas: [String]) -> [ReasoningSplitter.Piece] {
        var out: [ReasoningSplitter.Piece] = []
        for d in deltas { out += s.feed(d) }
        return Self.merged(out + s.finish())
    }

    /// Adjacent pieces of one kind joined, so tests state what, not how cut.
    static func merged(_ pieces: [ReasoningSplitter.Piece]) -> [ReasoningSplitter.Piece] {
        var out: [ReasoningSplitter.Piece] = []
        for p in pieces {
            switch (out.last, p) {
            case (.reasoning(let a)?, .reasoning(let b)): out[out.count - 1] = .reasoning(a + b)
            case (.content(let a)?, .content(let b)): out[out.count - 1] = .content(a + b)
            default: out.append(p)
            }
        }
        return out
    }

    func testThinkTagsAtTheStartSplitReasoningFromContent() {
        var s = ReasoningSplitter(format: .think, startsInReasoning: false)
        XCTAssertEqual(run(&s, ["<th", "ink>\nLet me", " see.</th", "ink>\n\nThe answer", " is 4."]),
                       [.reasoning("Let me see."), .content("The answer is 4.")])
    }

    func testTagsSplitAcrossDeltasAreHeldOnlyAsLongAsTheyMayBeTags() {
        var s = ReasoningSplitter(format: .think, startsInReasoning: true)
        XCTAssertEqual(s.feed("a</"), [.reasoning("a")], "'</' may start the closing tag")
        XCTAssertEqual(s.feed("b"), [.reasoning("</b")], "it did not")
        XCTAssertTrue(s.inReasoning)
        XCTAssertEqual(s.feed("</think>x"), [.content("x")])
        XCTAssertFalse(s.inReasoning)
    }

    func testAPromptThatOpenedTheReasoningStartsInside() {
        var s = ReasoningSplitter(format: .think, startsInReasoning: true)
        XCTAssertEqual(run(&s, ["\nhmm", "</think>", "\n\nok"]), [.reasoning("hmm"), .content("ok")])
    }

    func testAnOpeningTagLaterInTheReplyIsContent() {
        var s = ReasoningSplitter(format: .think, startsInReasoning: false)
        XCTAssertEqual(run(&s, ["Use ", "<think> tags"]), [.content("Use <think> tags")])
    }

    func testReasoningCutByTheEndStaysReasoning() {
        var s = ReasoningSplitter(format: .think, startsInReasoning: true)
        XCTAssertEqual(run(&s, ["still thinking </thi"]), [.reasoning("still thinking </thi")])
    }

    func testMistralTagsAndNoFormat() {
        var m = ReasoningSplitter(format: .mistralThink, startsInReasoning: false)
        XCTAssertEqual(run(&m, ["[THINK]plan[/THINK]", "done"]), [.reasoning("plan"), .content("done")])
        var none = ReasoningSplitter(format: .none, startsInReasoning: false)
        XCTAssertEqual(run(&none, ["<think>x</think>y"]), [.content("<think>x</think>y")])
    }

    func testDetectionAndPromptOpening() {
        XCTAssertEqual(ReasoningFormat.detect(chatTemplate: "{{ '<think>\\n' }}...</think>"), .think)
        XCTAssertEqual(ReasoningFormat.detect(chatTemplate: "[THINK]{{ x }}[/THINK]"), .mistralThink)
        XCTAssertEqual(ReasoningFormat.detect(chatTemplate: "<|im_start|>"), .none)
        XCTAssertTrue(ReasoningFormat.think.promptOpensReasoning("<|im_start|>assistant\n<think>\n"))
        XCTAssertFalse(ReasoningFormat.think.promptOpensReasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
        XCTAssertFalse(ReasoningFormat.think.promptOpensReasoning("<|im_start|>assistant\n"))
    }
}
