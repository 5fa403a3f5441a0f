/// A cached prefix leaving the KV cells that the host-RAM pool wants: the
/// engine saves the slot's state (still whole in llama.cpp: the scheduler
/// only decided) before it mirrors any of this step's cache edits.
public struct Spill: Sendable, Equatable {
    public var slot: Int
    public var tokens: [Token]
}

/// The host-RAM prefix cache's side of the state machine: which dropped
/// prefixes to save, and admissions that restore one. The pool is an index
/// of token arrays and byte counts; the bytes stay with the engine.
extension Scheduler {
    /// Turns the pool on, bounded to `bytes` (0 or prefix reuse off: off).
    public mutating func enableHostCache(bytes: Int, minimumTokens: Int = 32) {
        pool = HostPrefixPool(capacity: config.prefixReuse ? bytes : 0, minimumTokens: minimumTokens)
    }

    /// Records that an idle slot is about to lose its cached tokens from
    /// `length` on, when what it loses is worth a pool entry.
    mutating func spill(_ slot: Int, keeping length: Int) {
        guard pool.isEnabled, kv.isIdle(slot) else { return }
        let tokens = kv.slots[slot].tokens
        guard tokens.count - length >= pool.minimumTokens, pool.wants(tokens, memory: config.memory),
              !spills.contains(where: { $0.slot == slot }) else { return }
        spills.append(Spill(slot: slot, tokens: tokens))
    }

    /// The spills recorded since the last call, in order. The engine saves
    /// each before it applies the plan (or trim) that recorded them.
    public mutating func takeSpills() -> [Spill] {
        defer { spills.removeAll() }
        return spills
    }

    /// The engine saved a spill's state in `bytes` bytes; `firstPosition` is
    /// the oldest position the slot held then. Returns the new entry's id
    /// (nil: it was never kept) and the entries whose bytes the engine must free.
    ///
    /// A sliding window's saved state leaves out the cells already outside
    /// the window (llama.cpp writes only unmasked cells) even while the live
    /// slot still held them: the entry starts at `count - window` at best, so
    /// it is restored only at its exact end.
    public mutating func recordSaved(_ spill: Spill, bytes: Int, firstPosition: Int) -> (id: UInt64?, dropped: [UInt64]) {
        var first = firstPosition
        if case .slidingWindow(let window) = config.memory { first = max(first, spill.tokens.count - window) }
        return pool.insert(tokens: spill.tokens, bytes: bytes, firstPosition: first, memory: config.memory)
    }

    /// Drops an entry whose state the engine no longer has or could not restore.
    public mutating func forgetPooled(_ id: UInt64) { pool.remove(id) }

    /// The admission choice with pooled prefixes as candidates. A restore
    /// needs cells for the whole entry at once (llama.cpp restores it, then
    /// it is cut back); when dropping every idle prefix would not free that
    /// many, the cells' own choice stands.
    func chooseSlot(for prompt: [Token], firstPosition: (Int) -> Int) -> PrefixPolicy.Choice? {
        guard pool.isEnabled else {
            return PrefixPolicy.choose(prompt: prompt, cache: kv, memory: config.memory,
                                       reuse: config.prefixReuse, firstPosition: firstPosition)
        }
        let choice = PrefixPolicy.choose(prompt: prompt, cache: kv, pool: pool, memory: config.memory,
                                         reuse: config.prefixReuse, firstPosition: firstPosition)
        if let c = choice, let id = c.restoreFrom,
           (pool.entry(id)?.tokens.count ?? .max) > kv.freeCells + kv.reclaimableCells {
            return PrefixPolicy.choose(prompt: prompt, cache: kv, memory: config.memory,
                                       reuse: config.prefixReuse, firstPosition: firstPosition)
        }
        return choice
    }

    /// Prepares the chosen slot for a restore: its own prefix, then idle
    /// prefixes least recently used first, are saved and dropped until the
    /// whole entry fits; the slot then holds the entry's first `reused`
    /// tokens. Returns the dropped slots, which the engine clears before it
    /// restores (Admission.evictions).
    mutating func prepareRestore(_ choice: PrefixPolicy.Choice) -> [Int] {
        guard let id = choice.restoreFrom, let entry = pool.entry(id) else { return [] }
        spill(choice.slot, keeping: 0)
        kv.clear(choice.slot)
        var evicted: [Int] = []
        while kv.freeCells < entry.tokens.count,
              let victim = kv.leastRecentlyUsedCachedSlot(excluding: [choice.slot]) {
            spill(victim, keeping: 0)
            kv.clear(victim)
            evicted.append(victim)
        }
        let ok = kv.append(choice.slot, entry.tokens[..<choice.reused])
        precondition(ok, "chooseSlot checked the entry fits")
        pool.touch(id)
        return evicted
    }
}
