import XCTest
@testable import PendraEngine

final class KVCacheManagerTests: XCTestCase {
    func testSharedCellsAreCountedOnceAndFreedWithTheLastHolder() {
        var kv = KVCacheManager(slots: 3, cells: 10)
        kv.acquire(0, for: 1)
        XCTAssertTrue(kv.append(0, [1, 2, 3, 4][...]))
        kv.share(from: 0, to: 1, count: 3)
        XCTAssertEqual(kv.usedCells, 4)
        XCTAssertEqual(kv.slots[1].tokens, [1, 2, 3])
        kv.clear(0)
        XCTAssertEqual(kv.usedCells, 3, "slot 1 still holds the shared three")
        kv.clear(1)
        XCTAssertEqual(kv.usedCells, 0)
        XCTAssertEqual(kv.freeCells, 10)
    }

    func testAppendRefusesWhenCellsRunOut() {
        var kv = KVCacheManager(slots: 1, cells: 3)
        XCTAssertTrue(kv.append(0, [1, 2][...]))
        XCTAssertFalse(kv.append(0, [3, 4][...]))
        XCTAssertEqual(kv.slots[0].tokens, [1, 2], "a refused append changes nothing")
        XCTAssertTrue(kv.append(0, 3))
        XCTAssertFalse(kv.append(0, 4))
    }

    func testTruncateKeepsThePrefix() {
        var kv = KVCacheManager(slots: 1, cells: 8)
        kv.append(0, [5, 6, 7, 8][...])
        kv.truncate(0, to: 2)
        XCTAssertEqual(kv.slots[0].tokens, [5, 6])
        XCTAssertEqual(kv.freeCells, 6)
    }

    func testReclaimableIgnoresCellsABusySlotHolds() {
        var kv = KVCacheManager(slots: 2, cells: 10)
        kv.append(0, [1, 2, 3][...])  // idle
        kv.acquire(1, for: 9)
        kv.share(from: 0, to: 1, count: 2)
        XCTAssertEqual(kv.reclaimableCells, 1)
    }

    func testLeastRecentlyUsedCachedSlot() {
        var kv = KVCacheManager(slots: 3, cells: 10)
        kv.acquire(0, for: 1); kv.append(0, [1][...]); kv.release(0)
        kv.acquire(1, for: 2); kv.append(1, [2][...]); kv.release(1)
        XCTAssertEqual(kv.leastRecentlyUsedCachedSlot(), 0)
        kv.acquire(0, for: 3); kv.release(0)
        XCTAssertEqual(kv.leastRecentlyUsedCachedSlot(), 1)
    }
}
