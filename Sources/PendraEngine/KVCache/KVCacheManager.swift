/// Bookkeeping for llama.cpp's unified KV cache, without touching it.
///
/// Each llama sequence id is a *slot*. A slot holds the tokens whose K/V
/// are in the cache for that id, and for each token the cell it lives in.
/// Cells are reference-counted: `share` (llama_memory_seq_cp) gives a second
/// slot the same cells, and a cell is free only when no slot holds it. That
/// is exactly how the unified cache frees cells, so `freeCells` is the real
/// number of cells left, shared prefixes counted once.
///
/// When a sequence finishes, its slot is released but keeps its tokens: a
/// cached prefix that a later request with the same beginning reuses.
public struct KVCacheManager: Sendable {
    public struct Slot: Sendable {
        public internal(set) var tokens: [Token] = []
        var cells: [Int32] = []
        /// The sequence using this slot, or nil when it only holds a cached prefix.
        public internal(set) var owner: UInt64?
        /// Logical clock of the last use, for least-recently-used eviction.
        public internal(set) var lastUsed: UInt64 = 0
        /// Token counts at which the engine saved a state checkpoint of this
        /// slot (recurrent memory, whose state exists only at its last
        /// position): the slot can also be continued from there.
        public internal(set) var checkpoints: [Int] = []
    }

    public private(set) var slots: [Slot]
    public let totalCells: Int
    private var refcount: [UInt16]
    private var freeList: [Int32]
    private var clock: UInt64 = 0

    public init(slots: Int, cells: Int) {
        precondition(slots > 0 && cells > 0)
        self.slots = Array(repeating: Slot(), count: slots)
        self.totalCells = cells
        self.refcount = Array(repeating: 0, count: cells)
        // Pop from the end: cell 0 is handed out first.
        self.freeList = (0..<Int32(cells)).reversed()
    }

    public var freeCells: Int { freeList.count }
    public var usedCells: Int { totalCells - freeList.count }

    /// Cells that clearing every idle slot would free right now (cells also
    /// held by a busy slot stay).
    public var reclaimableCells: Int {
        var idleHolders: [Int32: UInt16] = [:]
        for s in slots where s.owner == nil { for c in s.cells { idleHolders[c, default: 0] += 1 } }
        return idleHolders.reduce(0) { $0 + ($1.value == refcount[Int($1.key)] ? 1 : 0) }
    }

    public func isIdle(_ slot: Int) -> Bool { slots[slot].owner == nil }
    public var idleSlots: [Int] { slots.indices.filter { slots[$0].owner == nil } }

    mutating func tick() -> UInt64 { clock += 1; return clock }

    /// Gives a slot to a sequence.
    public mutating func acquire(_ slot: Int, for owner: UInt64) {
        precondition(slots[slot].owner == nil, "slot \(slot) is busy")
        slots[slot].owner = owner
        slots[slot].lastUsed = tick()
    }

    /// Returns a slot to the idle pool; its tokens stay as a cached prefix.
    public mutating func release(_ slot: Int) {
        slots[slot].owner = nil
        slots[slot].lastUsed = tick()
    }

    /// Records tokens just decoded into a slot. False (and no change) if
    /// there are not enough free cells.
    @discardableResult
    public mutating func append(_ slot: Int, _ tokens: ArraySlice<Token>) -> Bool {
        guard tokens.count <= freeList.count else { return false }
        for t in tokens {
            let c = freeList.removeLast()
            refcount[Int(c)] = 1
            slots[slot].cells.append(c)
            slots[slot].tokens.append(t)
        }
        return true
    }

    @discardableResult
    public mutating func append(_ slot: Int, _ token: Token) -> Bool {
        guard let c = freeList.popLast() else { return false }
        refcount[Int(c)] = 1
        slots[slot].cells.append(c)
        slots[slot].tokens.append(token)
        return true
    }

    /// Drops a slot's tokens from position `length` on (llama_memory_seq_rm(slot, length, -1)).
    public mutating func truncate(_ slot: Int, to length: Int) {
        slots[slot].checkpoints.removeAll { $0 > length }
        guard length < slots[slot].tokens.count else { return }
        for c in slots[slot].cells[length...] { unref(c) }
        slots[slot].cells.removeSubrange(length...)
        slots[slot].tokens.removeSubrange(length...)
    }

    public mutating func clear(_ slot: Int) { truncate(slot, to: 0) }

    /// Gives `destination` the first `count` cells of `source`
    /// (llama_memory_seq_cp(source, destination, 0, count)). The destination
    /// must be empty.
    public mutating func share(from source: Int, to destination: Int, count: Int) {
        precondition(slots[destination].tokens.isEmpty, "share into a non-empty slot")
        precondition(count <= slots[source].tokens.count)
        for c in slots[source].cells[..<count] { refcount[Int(c)] += 1 }
        slots[destination].cells = Array(slots[source].cells[..<count])
        slots[destination].tokens = Array(slots[source].tokens[..<count])
    }

    /// Records that the engine saved the slot's state after its first
    /// `length` tokens. A slot keeps its two latest checkpoints.
    public mutating func setCheckpoint(_ slot: Int, at length: Int) {
        precondition(length <= slots[slot].tokens.count)
        slots[slot].checkpoints.removeAll { $0 == length }
        slots[slot].checkpoints.append(length)
        if slots[slot].checkpoints.count > 2 { slots[slot].checkpoints.removeFirst() }
    }

    private mutating func unref(_ cell: Int32) {
        refcount[Int(cell)] -= 1
        if refcount[Int(cell)] == 0 { freeList.append(cell) }
    }

    /// The idle slot with the oldest use that still holds cells, for eviction.
    public func leastRecentlyUsedCachedSlot(excluding: Set<Int> = []) -> Int? {
        slots.indices
            .filter { slots[$0].owner == nil && !slots[$0].tokens.isEmpty && !excluding.contains($0) }
            .min { slots[$0].lastUsed < slots[$1].lastUsed }
    }
}
