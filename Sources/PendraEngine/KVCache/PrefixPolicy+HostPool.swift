extension PrefixPolicy {
    /// `choose`, with the host-RAM pool's saved prefixes as candidates too.
    ///
    /// An entry wins only when it gives the prompt more than the cells can,
    /// by at least the pool's minimum and by at least an eighth of the entry:
    /// a restore copies the whole entry in before cutting it back, so a
    /// 6,000-token entry is not restored for the dozen tokens of a chat
    /// template's opening that every prompt shares. It goes into the idle
    /// slot whose cache matters least: an empty one, else the least recently
    /// used (whose prefix the scheduler saves to the pool first).
    public static func choose(prompt: [Token], cache: KVCacheManager, pool: HostPrefixPool,
                              memory: MemoryKind = .unified, reuse: Bool = true,
                              firstPosition: (Int) -> Int = { _ in 0 }) -> Choice? {
        guard let cells = choose(prompt: prompt, cache: cache, memory: memory, reuse: reuse,
                                 firstPosition: firstPosition) else { return nil }
        guard reuse, pool.isEnabled,
              let best = pool.best(for: prompt, limit: max(prompt.count - 1, 0), memory: memory),
              let entry = pool.entry(best.id) else { return cells }
        let gain = best.length - cells.reused
        guard gain >= pool.minimumTokens, gain * 8 >= entry.tokens.count else { return cells }
        func rank(_ s: Int) -> (Int, UInt64) { (cache.slots[s].tokens.isEmpty ? 0 : 1, cache.slots[s].lastUsed) }
        guard let target = cache.idleSlots.min(by: { rank($0) < rank($1) }) else { return cells }
        return Choice(slot: target, reused: best.length, shareFrom: nil, restoreFrom: best.id)
    }
}
