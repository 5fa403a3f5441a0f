import XCTest
@testable import PendraEngine

/// llama.cpp's rule for a draft model's vocabulary, as a table.
final class DraftCompatibilityTests: XCTestCase {
    private func vocab(size: Int = 1000, type: UInt32 = 2, addsBOS: Bool = true, bos: Token = 1,
                       addsEOS: Bool = false, eos: Token = 2, rename: [Token: String] = [:]) -> DraftCompatibility.Vocabulary {
        .init(type: type, addsBOS: addsBOS, bos: bos, addsEOS: addsEOS, eos: eos, size: size,
              text: { id in id >= 0 && Int(id) < size ? rename[id] ?? "t\(id)" : nil })
    }

    private func problem(_ draft: DraftCompatibility.Vocabulary, target: DraftCompatibility.Vocabulary? = nil) -> String? {
        DraftCompatibility.problem(target: target ?? vocab(), draft: draft)
    }

    func testTheSameVocabularyOrAFewPaddedTokensAreCompatible() {
        XCTAssertNil(problem(vocab()))
        XCTAssertNil(problem(vocab(size: 1128)), "128 more tokens")
        XCTAssertNil(problem(vocab(size: 872)), "128 fewer")
        XCTAssertNil(problem(vocab(rename: [0: "<s>", 4: "<pad>"])), "ids below 5 are not compared")
        XCTAssertNil(problem(vocab(addsBOS: false, bos: 9), target: vocab(addsBOS: false, bos: 1)), "a BOS never added")
        XCTAssertNil(problem(vocab(eos: 7)), "an EOS never added")
    }

    func testEachDifferenceIsNamed() {
        XCTAssertEqual(problem(vocab(type: 1)), "its tokenizer type (1) is not the target's (2)")
        XCTAssertEqual(problem(vocab(bos: 5)), "its BOS token (5) differs from the target's (1)")
        XCTAssertEqual(problem(vocab(addsBOS: false)), "its BOS token (1, not added) differs from the target's (1)")
        XCTAssertEqual(problem(vocab(addsEOS: true, eos: 3), target: vocab(addsEOS: true)),
                       "its EOS token (3) differs from the target's (2)")
        XCTAssertEqual(problem(vocab(size: 1129)), "its vocabulary has 1129 tokens and the target's 1000 (at most 128 apart)")
        XCTAssertEqual(problem(vocab(rename: [5: "<|channel|>"])), #"token 5 is "<|channel|>" in it and "t5" in the target"#)
        XCTAssertEqual(problem(vocab(rename: [999: "x"])), #"token 999 is "x" in it and "t999" in the target"#)
    }
}
