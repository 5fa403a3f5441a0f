import XCTest
@testable import PendraEngine

final class StopStringMatcherTests: XCTestCase {
    func testStopSplitAcrossPiecesEmitsNothingPastIt() {
        var m = StopStringMatcher(["END"])
        XCTAssertEqual(m.feed("Hello E"), .text("Hello "), "'E' may begin the stop string: held")
        XCTAssertEqual(m.feed("N"), .text(""))
        XCTAssertEqual(m.feed("D and more"), .stopped(text: "", stop: "END"))
    }

    func testHeldTextIsReleasedWhenItTurnsOutNotToBeAStop() {
        var m = StopStringMatcher(["END"])
        XCTAssertEqual(m.feed("EN"), .text(""))
        XCTAssertEqual(m.feed("x"), .text("ENx"))
    }

    func testEarliestStopWinsAmongSeveral() {
        var m = StopStringMatcher(["world", "lo w"])
        XCTAssertEqual(m.feed("hello world"), .stopped(text: "hel", stop: "lo w"))
    }

    func testFlushReturnsHeldText() {
        var m = StopStringMatcher(["</s>"])
        XCTAssertEqual(m.feed("abc</"), .text("abc"))
        XCTAssertEqual(m.flush(), "</")
    }

    func testNoStopsPassesThrough() {
        var m = StopStringMatcher([])
        XCTAssertEqual(m.feed("anything"), .text("anything"))
    }

    func testMultibyteStopAndTextNeverSplitACharacter() {
        var m = StopStringMatcher(["é!"])
        XCTAssertEqual(m.feed("café"), .text("caf"))
        XCTAssertEqual(m.feed("?"), .text("é?"))
        XCTAssertEqual(m.feed("é"), .text(""))
        XCTAssertEqual(m.feed("!"), .stopped(text: "", stop: "é!"))
    }
}
