import XCTest
@testable import PendraEngine

/// The host-RAM pool's index as pure data: bound, LRU, superseding, and the
/// memory rules for what a prompt may take from an entry.
final class HostPrefixPoolTests: XCTestCase {
    private func tokens(_ n: Int, base: Int32) -> [Token] { (0..<n).map { base + Int32($0) } }

    func testLeastRecentlyUsedEntriesGoWhenTheBoundIsReached() {
        var pool = HostPrefixPool(capacity: 300, minimumTokens: 4)
        let a = pool.insert(tokens: tokens(10, base: 100), bytes: 100).id!
        let b = pool.insert(tokens: tokens(10, base: 200), bytes: 100).id!
        let c = pool.insert(tokens: tokens(10, base: 300), bytes: 100).id!
        pool.touch(a)  // restored: now the most recently used
        let d = pool.insert(tokens: tokens(10, base: 400), bytes: 150)
        XCTAssertEqual(d.dropped, [b, c], "oldest first, until the new entry fits")
        XCTAssertEqual(pool.entries.map(\.id), [a, d.id!])
        XCTAssertEqual(pool.bytesHeld, 250)
    }

    func testAnEntryLargerThanThePoolIsRefusedAndDropsNothing() {
        var pool = HostPrefixPool(capacity: 100, minimumTokens: 4)
        _ = pool.insert(tokens: tokens(10, base: 100), bytes: 60)
        let r = pool.insert(tokens: tokens(10, base: 200), bytes: 101)
        XCTAssertNil(r.id)
        XCTAssertEqual(r.dropped, [])
        XCTAssertEqual(pool.entries.count, 1)
        XCTAssertFalse(HostPrefixPool(capacity: 0).isEnabled)
        var off = HostPrefixPool(capacity: 0)
        XCTAssertNil(off.insert(tokens: tokens(10, base: 1), bytes: 1).id, "a pool of 0 bytes is off")
    }

    func testALongerPrefixSupersedesTheEntriesItExtends() {
        var pool = HostPrefixPool(capacity: 1000, minimumTokens: 4)
        let turn1 = tokens(20, base: 100)
        let a = pool.insert(tokens: turn1, bytes: 20).id!
        XCTAssertFalse(pool.wants(Array(turn1.prefix(12)), memory: .unified), "an entry holding them already")
        XCTAssertTrue(pool.wants(Array(turn1.prefix(12)), memory: .recurrent), "recurrent: only the exact end counts")
        XCTAssertFalse(pool.wants(Array(turn1.prefix(3)), memory: .unified), "shorter than the minimum")
        let turn2 = pool.insert(tokens: turn1 + [7, 8, 9], bytes: 23)
        XCTAssertEqual(turn2.dropped, [a])
        XCTAssertEqual(pool.entries.count, 1)
        XCTAssertEqual(pool.bytesHeld, 23)
    }

    func testBestFollowsTheMemoryKindsRules() {
        var pool = HostPrefixPool(capacity: 1000, minimumTokens: 4)
        let saved = tokens(40, base: 100)
        let id = pool.insert(tokens: saved, bytes: 40, firstPosition: 0).id!
        let diverging = Array(saved.prefix(25)) + [1, 2, 3]
        // Unified: any common prefix, at most `limit`.
        XCTAssertEqual(pool.best(for: diverging, limit: 27, memory: .unified)?.length, 25)
        XCTAssertEqual(pool.best(for: diverging, limit: 27, memory: .unified)?.id, id)
        XCTAssertEqual(pool.best(for: saved, limit: 39, memory: .unified)?.length, 39, "one token left to compute")
        // Recurrent: the state exists only at the entry's end.
        XCTAssertNil(pool.best(for: diverging, limit: 27, memory: .recurrent))
        XCTAssertEqual(pool.best(for: saved + [5], limit: 40, memory: .recurrent)?.length, 40)
        // Sliding window: the cells from `length - window` on must have been held.
        var swa = HostPrefixPool(capacity: 1000, minimumTokens: 4)
        _ = swa.insert(tokens: saved, bytes: 40, firstPosition: 20, memory: .slidingWindow(window: 8))
        XCTAssertNil(swa.best(for: diverging, limit: 27, memory: .slidingWindow(window: 8)), "25 - 8 < 20: cells gone")
        XCTAssertEqual(swa.best(for: saved + [5], limit: 40, memory: .slidingWindow(window: 8))?.length, 40)
        // Nothing in common: no candidate.
        XCTAssertNil(pool.best(for: [9, 9, 9], limit: 2, memory: .unified))
    }
}
