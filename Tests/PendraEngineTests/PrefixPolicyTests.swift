import XCTest
@testable import PendraEngine

/// The prefix-reuse decision as a table, without a model.
final class PrefixPolicyTests: XCTestCase {
    private func cache(_ contents: [[Token]], busy: Set<Int> = []) -> KVCacheManager {
        var kv = KVCacheManager(slots: contents.count, cells: 1000)
        for (i, t) in contents.enumerated() {
            kv.acquire(i, for: UInt64(i + 1))
            kv.append(i, t[...])
            if !busy.contains(i) { kv.release(i) }
        }
        return kv
    }

    func testTable() {
        typealias C = PrefixPolicy.Choice
        let rows: [(String, [[Token]], Set<Int>, [Token], C?)] = [
            ("empty cache takes a slot, reuses nothing", [[], []], [], [1, 2, 3], C(slot: 0, reused: 0, shareFrom: nil)),
            ("longest idle prefix taken over in place", [[1, 9], [1, 2, 3, 4]], [], [1, 2, 3, 5], C(slot: 1, reused: 3, shareFrom: nil)),
            ("whole prompt cached still leaves one token", [[1, 2, 3]], [], [1, 2, 3], C(slot: 0, reused: 2, shareFrom: nil)),
            ("busy slot's prefix is shared into an idle slot", [[1, 2, 3, 4], [8]], [0], [1, 2, 3, 7], C(slot: 1, reused: 3, shareFrom: 0)),
            ("no idle slot: nothing", [[1]], [0], [1, 2], nil),
            ("no common prefix: least recently used idle slot", [[5], [6]], [], [7, 8], C(slot: 0, reused: 0, shareFrom: nil)),
        ]
        for (name, contents, busy, prompt, expected) in rows {
            XCTAssertEqual(PrefixPolicy.choose(prompt: prompt, cache: cache(contents, busy: busy)), expected, name)
        }
    }

    func testRecurrentMemoryContinuesOnlyAtTheEndOrACheckpoint() {
        typealias C = PrefixPolicy.Choice
        var kv = cache([[1, 2, 3, 4], [9]])
        let r = MemoryKind.recurrent
        // The whole cached state is a prefix: continue from its end.
        XCTAssertEqual(PrefixPolicy.choose(prompt: [1, 2, 3, 4, 5], cache: kv, memory: r), C(slot: 0, reused: 4, shareFrom: nil))
        // Only part of it: the state cannot be cut back, so nothing is reused.
        XCTAssertEqual(PrefixPolicy.choose(prompt: [1, 2, 3, 7], cache: kv, memory: r), C(slot: 0, reused: 0, shareFrom: nil))
        // With a checkpoint at 2, that part is restored in place.
        kv.setCheckpoint(0, at: 2)
        XCTAssertEqual(PrefixPolicy.choose(prompt: [1, 2, 3, 7], cache: kv, memory: r),
                       C(slot: 0, reused: 2, shareFrom: nil, restoresCheckpoint: true))
        // A busy slot's state is shared only whole.
        let busy = cache([[1, 2, 3, 4], []], busy: [0])
        XCTAssertEqual(PrefixPolicy.choose(prompt: [1, 2, 3, 4, 5], cache: busy, memory: r), C(slot: 1, reused: 4, shareFrom: 0))
        XCTAssertEqual(PrefixPolicy.choose(prompt: [1, 2, 9], cache: busy, memory: r), C(slot: 1, reused: 0, shareFrom: nil))
    }

    func testSlidingWindowReusesOnlyWhileTheWindowIsHeld() {
        typealias C = PrefixPolicy.Choice
        let kv = cache([Array(1...100)])
        let w = MemoryKind.slidingWindow(window: 32)
        // Cells from position 60 on are held: reusing 95 needs 63.. -> fine.
        XCTAssertEqual(PrefixPolicy.choose(prompt: Array(1...95) + [0], cache: kv, memory: w, firstPosition: { _ in 60 }),
                       C(slot: 0, reused: 95, shareFrom: nil))
        // Reusing 80 needs positions from 48, which are gone.
        XCTAssertEqual(PrefixPolicy.choose(prompt: Array(1...80) + [0], cache: kv, memory: w, firstPosition: { _ in 60 }),
                       C(slot: 0, reused: 0, shareFrom: nil))
        // Prefix reuse off.
        XCTAssertEqual(PrefixPolicy.choose(prompt: Array(1...95) + [0], cache: kv, reuse: false),
                       C(slot: 0, reused: 0, shareFrom: nil))
    }

    func testCommonPrefix() {
        XCTAssertEqual(PrefixPolicy.commonPrefix([1, 2, 3], [1, 2, 4]), 2)
        XCTAssertEqual(PrefixPolicy.commonPrefix([], [1]), 0)
        XCTAssertEqual(PrefixPolicy.commonPrefix([1, 2], [1, 2]), 2)
    }
}
