/// The index of the host-RAM prefix cache: which token sequences have their
/// llama.cpp state saved in RAM, how many bytes each takes, and which goes
/// first when the pool is full. Pure data: the bytes themselves live with the
/// engine (HostPrefixStore), keyed by `Entry.id`.
///
/// Cached prefixes that must leave the KV cells (evicted for room, or trimmed
/// to the prefix-cache bound) are saved here, and a later prompt that shares
/// more with an entry than with anything still in the cells gets the entry
/// restored into a slot: a conversation pushed out by others pays a copy when
/// it comes back, not a prefill.
public struct HostPrefixPool: Sendable {
    public struct Entry: Sendable, Equatable {
        public let id: UInt64
        /// The tokens whose state was saved, from position 0.
        public let tokens: [Token]
        public let bytes: Int
        /// The oldest position the memory held when saved
        /// (llama_memory_seq_pos_min); sliding windows need it.
        public let firstPosition: Int
        public internal(set) var lastUsed: UInt64
    }

    /// Bytes the pool may hold; 0 turns it off.
    public let capacity: Int
    /// Shorter prefixes are not worth an entry: they prefill in a moment.
    public let minimumTokens: Int
    public private(set) var entries: [Entry] = []
    public private(set) var bytesHeld = 0
    private var nextID: UInt64 = 1
    private var clock: UInt64 = 0

    public init(capacity: Int, minimumTokens: Int = 32) {
        self.capacity = max(0, capacity)
        self.minimumTokens = max(1, minimumTokens)
    }

    public var isEnabled: Bool { capacity > 0 }

    public func entry(_ id: UInt64) -> Entry? { entries.first { $0.id == id } }

    /// Whether `tokens` are worth saving: long enough, and not already held.
    /// With unified memory an entry that starts with them holds them too
    /// (restoring it and cutting it back gives the same cells); other memory
    /// continues only from an entry's exact end.
    public func wants(_ tokens: [Token], memory: MemoryKind) -> Bool {
        guard isEnabled, tokens.count >= minimumTokens else { return false }
        return !entries.contains { e in
            memory == .unified ? e.tokens.starts(with: tokens) : e.tokens == tokens
        }
    }

    /// Adds an entry the engine saved. Entries it supersedes (unified memory:
    /// those it extends) go, then least-recently-used ones until it fits.
    /// Returns its id (nil when it is larger than the whole pool) and the
    /// ids whose bytes the engine must drop.
    public mutating func insert(tokens: [Token], bytes: Int, firstPosition: Int = 0,
                                memory: MemoryKind = .unified) -> (id: UInt64?, dropped: [UInt64]) {
        guard isEnabled, bytes <= capacity else { return (nil, []) }
        var dropped: [UInt64] = []
        for e in entries where memory == .unified ? tokens.starts(with: e.tokens) : tokens == e.tokens {
            dropped.append(e.id)
        }
        dropped.forEach { remove($0) }
        while bytesHeld + bytes > capacity, let lru = entries.min(by: { $0.lastUsed < $1.lastUsed }) {
            dropped.append(lru.id)
            remove(lru.id)
        }
        let id = nextID
        nextID += 1
        clock += 1
        entries.append(Entry(id: id, tokens: tokens, bytes: bytes, firstPosition: firstPosition, lastUsed: clock))
        bytesHeld += bytes
        return (id, dropped)
    }

    public mutating func remove(_ id: UInt64) {
        guard let i = entries.firstIndex(where: { $0.id == id }) else { return }
        bytesHeld -= entries[i].bytes
        entries.remove(at: i)
    }

    /// Marks an entry used (it was restored): it is dropped last.
    public mutating func touch(_ id: UInt64) {
        guard let i = entries.firstIndex(where: { $0.id == id }) else { return }
        clock += 1
        entries[i].lastUsed = clock
    }

    /// The entry that gives `prompt` the longest usable prefix, at most
    /// `limit` tokens, under `memory`'s rules (MemoryKind.canContinue: any
    /// prefix of unified memory, a recurrent state only at its exact end, a
    /// sliding window only while the cells it needs were held).
    public func best(for prompt: [Token], limit: Int, memory: MemoryKind) -> (id: UInt64, length: Int)? {
        var best: (id: UInt64, length: Int)?
        for e in entries {
            let len = min(PrefixPolicy.commonPrefix(e.tokens, prompt), limit)
            guard len > 0, len > (best?.length ?? 0),
                  memory.canContinue(at: len, cached: e.tokens.count, firstPosition: { e.firstPosition })
            else { continue }
            best = (e.id, len)
        }
        return best
    }
}
