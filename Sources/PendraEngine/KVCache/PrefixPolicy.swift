/// Decides how a new prompt uses what the KV cache already holds. Pure: the
/// engine thread applies the decision to llama.cpp.
public enum PrefixPolicy {
    public struct Choice: Equatable, Sendable {
        /// The idle slot the new sequence takes.
        public var slot: Int
        /// Prompt tokens already in the cache that need no prefill.
        public var reused: Int
        /// When the reused tokens come from another (busy or idle) slot:
        /// share that slot's first `reused` cells instead of recomputing them.
        public var shareFrom: Int?
        /// Recurrent memory: the slot's state must be restored from its
        /// checkpoint at `reused` before the rest is removed.
        public var restoresCheckpoint = false
        /// The host-RAM pool entry (HostPrefixPool) whose saved state is
        /// restored into the slot, then cut back to `reused` tokens.
        public var restoreFrom: UInt64?

        public init(slot: Int, reused: Int, shareFrom: Int?, restoresCheckpoint: Bool = false,
                    restoreFrom: UInt64? = nil) {
            self.slot = slot
            self.reused = reused
            self.shareFrom = shareFrom
            self.restoresCheckpoint = restoresCheckpoint
            self.restoreFrom = restoreFrom
        }
    }

    /// Length of the common prefix of two token lists.
    public static func commonPrefix(_ a: [Token], _ b: [Token]) -> Int {
        let n = min(a.count, b.count)
        var i = 0
        while i < n && a[i] == b[i] { i += 1 }
        return i
    }

    /// Picks a slot for `prompt`, or nil when no slot is idle.
    ///
    /// - An idle slot whose cached tokens share the longest prefix with the
    ///   prompt is taken over in place (its cache past the prefix is dropped).
    /// - If another slot (busy or idle) holds a longer prefix than that, the
    ///   least-recently-used idle slot is cleared and shares those cells.
    /// - With no useful prefix anywhere, the least-recently-used idle slot is
    ///   taken, so recently used prefixes survive longest.
    /// At least one prompt token is always left to compute: its logits give
    /// the first output token. A prefix counts only where `memory` can
    /// continue from it (`firstPosition(slot)` answers for sliding windows);
    /// `reuse: false` turns prefix reuse off.
    public static func choose(prompt: [Token], cache: KVCacheManager, minimumShare: Int = 1,
                              memory: MemoryKind = .unified, reuse: Bool = true,
                              firstPosition: (Int) -> Int = { _ in 0 }) -> Choice? {
        let idle = cache.idleSlots
        guard !idle.isEmpty else { return nil }
        let limit = max(prompt.count - 1, 0)

        /// The prefix of `slot` this prompt may use: common, and continuable
        /// (in place, where a recurrent slot may also restore its checkpoint;
        /// shared into another slot, where it may not).
        func usable(_ slot: Int, inPlace: Bool) -> Int {
            guard reuse else { return 0 }
            let cached = cache.slots[slot].tokens
            let len = min(commonPrefix(cached, prompt), limit)
            let checkpoints = inPlace ? cache.slots[slot].checkpoints : []
            if memory.canContinue(at: len, cached: cached.count, checkpoints: checkpoints,
                                  firstPosition: { firstPosition(slot) }) { return len }
            if memory == .recurrent, let c = checkpoints.filter({ $0 <= len }).max(), c > 0 { return c }
            return 0
        }
        let lengths = cache.slots.indices.map { usable($0, inPlace: false) }
        // Only recurrent memory continues from checkpoints, which only count in place.
        let inPlace = memory == .recurrent ? cache.slots.indices.map { usable($0, inPlace: true) } : lengths

        var bestIdle = idle[0], bestIdleLen = -1
        for s in idle {
            let len = inPlace[s]
            if len > bestIdleLen || (len == bestIdleLen && cache.slots[s].lastUsed < cache.slots[bestIdle].lastUsed) {
                bestIdle = s; bestIdleLen = len
            }
        }
        var bestOther: Int?, bestOtherLen = 0
        for s in cache.slots.indices where s != bestIdle {
            if lengths[s] > bestOtherLen { bestOther = s; bestOtherLen = lengths[s] }
        }

        if let src = bestOther, bestOtherLen > bestIdleLen, bestOtherLen >= minimumShare {
            // Take the idle slot whose cache matters least: no shared prefix, oldest.
            let target = idle.filter { $0 != src }.min {
                (lengths[$0], cache.slots[$0].lastUsed) < (lengths[$1], cache.slots[$1].lastUsed)
            }
            if let target { return Choice(slot: target, reused: bestOtherLen, shareFrom: src) }
        }
        if bestIdleLen <= 0 {
            let lru = idle.min { cache.slots[$0].lastUsed < cache.slots[$1].lastUsed }!
            return Choice(slot: lru, reused: 0, shareFrom: nil)
        }
        let restores = memory == .recurrent && bestIdleLen < cache.slots[bestIdle].tokens.count
        return Choice(slot: bestIdle, reused: bestIdleLen, shareFrom: nil, restoresCheckpoint: restores)
    }
}
