/// The scheduler's view of one generation: which tokens it has, how many of
/// them are in the KV cache, and where.
public struct SequenceState: Sendable, Equatable {
    public let id: UInt64
    /// The prompt, then every token generated so far.
    public internal(set) var tokens: [Token]
    public let promptCount: Int
    /// The llama sequence id while admitted.
    public internal(set) var slot: Int?
    /// `tokens[..<computed]` are in the slot's cache.
    public internal(set) var computed: Int = 0
    /// Prompt tokens taken from the prefix cache at first admission.
    public internal(set) var reused: Int?
    /// Order of admission; later admissions are preempted first.
    var admission: UInt64 = 0
    /// A prompt position a prefill chunk must end at, so the engine can save
    /// a state checkpoint there (recurrent memory).
    public let checkpointAt: Int?
    /// Its decodes may carry draft tokens (the model speculates and the
    /// request neither opted out nor needs a grammar).
    public let speculative: Bool
    /// Most draft tokens its next decode may carry without the adaptive
    /// gate: halved after a step whose guesses were all wrong, doubled after
    /// one where all were right (so text the prompt does not hold costs
    /// little verification work).
    public internal(set) var draftLimit = Int.max
    /// Searches in a row that found no draft, and steps to skip before the
    /// next search.
    var draftMisses = 0
    /// How often its guesses were accepted (SpeculationGate's input).
    var draftRecord = DraftRecord()
    /// The gate said no: its next search drafts whatever it finds (a probe).
    var gateProbe = false
    var draftPause = 0

    public init(id: UInt64, prompt: [Token], checkpointAt: Int? = nil, speculative: Bool = false) {
        self.id = id
        self.tokens = prompt
        self.promptCount = prompt.count
        self.checkpointAt = checkpointAt.flatMap { $0 > 0 && $0 < prompt.count ? $0 : nil }
        self.speculative = speculative
    }

    /// Where a sequence's state is worth saving: its checkpoint position and its prompt's end.
    public func isCheckpoint(_ position: Int) -> Bool { position == promptCount || position == checkpointAt }

    /// Tokens not yet in the cache. One means the next step decodes the last
    /// sampled token; more means prefill is still under way.
    public var pending: Int { tokens.count - computed }
    public var generatedCount: Int { tokens.count - promptCount }
    public var isDecoding: Bool { slot != nil && pending == 1 && generatedCount > 0 }
}

/// What one step feeds to llama_decode for one sequence: `tokens[start..<start+count]`.
public struct BatchEntry: Sendable, Equatable {
    public var id: UInt64
    public var slot: Int
    public var start: Int
    public var count: Int
    /// True when the entry ends at the sequence's last token: its logits
    /// give the next token.
    public var wantsLogits: Bool
    /// Draft tokens after the decoded one (`StepPlan.drafts`), each with
    /// logits: `count` is 1 + drafted, and only the accepted ones stay.
    public var drafted: Int = 0

    public init(id: UInt64, slot: Int, start: Int, count: Int, wantsLogits: Bool, drafted: Int = 0) {
        self.id = id
        self.slot = slot
        self.start = start
        self.count = count
        self.wantsLogits = wantsLogits
        self.drafted = drafted
    }
}

/// A sequence taking a slot, and how the slot's cache is prepared for it.
public struct Admission: Sendable, Equatable {
    public var id: UInt64
    public var choice: PrefixPolicy.Choice
    /// Slots whose cached prefixes were dropped to make room for a restore
    /// from the host-RAM pool: cleared in llama.cpp before this admission.
    public var evictions: [Int] = []
}

/// Everything the engine must do for one step, in this order (the order the
/// scheduler's own bookkeeping happened in): prepare admitted slots, drop
/// evicted caches and preempted sequences' cells, then decode `entries` as
/// one batch.
public struct StepPlan: Sendable, Equatable {
    public var evictions: [Int] = []
    public var admissions: [Admission] = []
    /// Sequences pushed back to the waiting queue; their slots were cleared.
    public var preempted: [(id: UInt64, slot: Int)] = []
    public var entries: [BatchEntry] = []
    /// Draft tokens proposed for speculative entries, by sequence.
    public var drafts: [UInt64: [Token]] = [:]

    public var tokenCount: Int { entries.reduce(0) { $0 + $1.count } }
    public var isEmpty: Bool { entries.isEmpty }

    public static func == (a: StepPlan, b: StepPlan) -> Bool {
        a.evictions == b.evictions && a.admissions == b.admissions && a.entries == b.entries
            && a.preempted.map(\.id) == b.preempted.map(\.id) && a.preempted.map(\.slot) == b.preempted.map(\.slot)
            && a.drafts == b.drafts
    }
}
