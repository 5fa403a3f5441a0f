public struct SchedulerConfig: Sendable, Equatable {
    /// Sequences decoded together (llama sequence ids).
    public var slots: Int
    /// Tokens per step (n_batch).
    public var tokenBudget: Int
    /// Requests allowed to wait for a slot; one more is refused as overload.
    public var maxWaiting: Int
    /// KV cells in the unified cache (n_ctx).
    public var cells: Int
    /// Most cells finished sequences may keep as cached prefixes. llama.cpp
    /// attends over every cell up to the highest one in use, so idle caches
    /// are not free: they widen every later batch's attention.
    public var prefixCacheCells: Int
    /// What the model's memory can do with a cached prefix.
    public var memory: MemoryKind
    /// False: every prompt is prefilled in full (comparisons, debugging).
    public var prefixReuse: Bool
    /// Step time to keep running streams within while prompts prefill;
    /// 0: no pacing, prefill takes whatever budget the decodes leave.
    public var targetStepSeconds: Double
    /// Draft tokens for decodes (never on recurrent memory, whose state
    /// cannot drop rejected tokens).
    public var speculation: SpeculationConfig
    /// Query rows from which llama.cpp's CPU flash-attention kernel tiles
    /// (AttentionTile); 0 where it does not run (a GPU, flash attention
    /// off, a quantized cache).
    public var attentionTile = 0

    public init(slots: Int, tokenBudget: Int, maxWaiting: Int, cells: Int, prefixCacheCells: Int? = nil,
                memory: MemoryKind = .unified, prefixReuse: Bool = true, targetStepSeconds: Double = 0,
                speculation: SpeculationConfig = .off) {
        self.slots = slots
        self.tokenBudget = tokenBudget
        self.maxWaiting = maxWaiting
        self.cells = cells
        self.prefixCacheCells = prefixCacheCells ?? cells / 4
        self.memory = memory
        self.prefixReuse = prefixReuse
        self.targetStepSeconds = targetStepSeconds
        self.speculation = memory == .recurrent ? .off : speculation
    }
}

public enum SchedulerError: Error, Equatable, Sendable {
    case queueFull(limit: Int)
    case promptTooLong(tokens: Int, limit: Int)
    case emptyPrompt
}

/// Continuous batching as a pure state machine: no llama.cpp calls, no
/// clocks, no threads. The engine asks `schedule()` what to decode, applies
/// the plan to llama.cpp, then reports back with `completeStep` and
/// `appendSampled`. Tests drive it with made-up token ids.
///
/// Each step: one token for every decoding sequence first, then prefill
/// chunks, first come first served, within what is left of the token budget
/// and, while streams decode, within what the pacer says keeps the step near
/// its target time, so a long prompt never stalls the streams already running.
public struct Scheduler: Sendable {
    public let config: SchedulerConfig
    public internal(set) var kv: KVCacheManager
    public private(set) var waiting: [SequenceState] = []
    public private(set) var running: [SequenceState] = []
    public private(set) var pacer: PrefillPacer
    /// Whether drafts pay here, from the same step timings (SpeculationGate).
    public private(set) var gate = SpeculationGate()
    private var admissions: UInt64 = 0
    /// The host-RAM prefix cache's index, and prefixes it wants saved (Scheduler+HostCache.swift).
    public internal(set) var pool = HostPrefixPool(capacity: 0)
    var spills: [Spill] = []

    public init(config: SchedulerConfig) {
        self.config = config
        self.kv = KVCacheManager(slots: config.slots, cells: config.cells)
        self.pacer = PrefillPacer(targetSeconds: config.targetStepSeconds)
    }

    /// Entries that decode a generated token (the rest prefill), counted
    /// before the plan is decoded.
    public func decodeCount<C: Collection<BatchEntry>>(_ entries: C) -> Int {
        entries.reduce(0) { n, e in
            n + (e.count == 1 + e.drafted && e.start >= (sequence(e.id)?.promptCount ?? .max) ? 1 : 0)
        }
    }

    /// How many of a decode's draft tokens the model accepted: sets how many
    /// the sequence's next decodes may carry.
    public mutating func recordDraft(_ id: UInt64, drafted: Int, accepted: Int) {
        let most = config.speculation.maxDraft
        guard let idx = running.firstIndex(where: { $0.id == id }), drafted > 0, most > 0 else { return }
        running[idx].draftRecord.record(drafted: drafted, accepted: accepted)
        let limit = min(running[idx].draftLimit, most)
        if accepted == drafted {
            running[idx].draftLimit = min(most, limit * 2)
        } else if accepted == 0 {
            running[idx].draftLimit = max(1, limit / 2)
        } else {
            running[idx].draftLimit = max(1, accepted + 1)
        }
    }

    /// The engine's timing of a decoded step of `tokens` tokens, `drafts` of
    /// them speculative guesses (see PrefillPacer).
    public mutating func observeStep(decodes: Int, tokens: Int, drafts: Int = 0, seconds: Double) {
        pacer.observe(decodes: decodes, promptTokens: tokens - decodes - drafts, draftTokens: drafts, seconds: seconds)
        if tokens == decodes + drafts { gate.observe(tokens: tokens, seconds: seconds) }
    }

    /// Longest prompt that can ever run: it needs its cells plus one for the first output token.
    public var maxPromptTokens: Int { config.cells - 1 }

    public mutating func enqueue(_ sequence: SequenceState) throws(SchedulerError) {
        guard sequence.promptCount > 0 else { throw .emptyPrompt }
        guard sequence.promptCount <= maxPromptTokens else {
            throw .promptTooLong(tokens: sequence.promptCount, limit: maxPromptTokens)
        }
        guard waiting.count < config.maxWaiting else { throw .queueFull(limit: config.maxWaiting) }
        waiting.append(sequence)
    }

    public func sequence(_ id: UInt64) -> SequenceState? {
        running.first { $0.id == id } ?? waiting.first { $0.id == id }
    }

    // MARK: - One step

    /// `firstPosition(slot)` is the oldest position llama.cpp's memory still
    /// holds for a slot (llama_memory_seq_pos_min); only sliding-window
    /// memory asks it. `drafter` proposes the decodes' draft tokens when the
    /// config speculates; nil: the config's n-gram lookup, if any. (A draft
    /// model is a drafter the engine holds: the scheduler only asks it.)
    public mutating func schedule(firstPosition: (Int) -> Int = { _ in 0 }, drafter: (any Drafter)? = nil) -> StepPlan {
        var plan = StepPlan()
        admit(into: &plan, firstPosition: firstPosition)
        let drafter = config.speculation.isOn ? drafter ?? config.speculation.ngram : nil
        fill(&plan, drafter: drafter)
        // Every running sequence is mid-prefill and the cells are gone: none
        // can move. Push the latest admission back to the queue until one can.
        while plan.entries.isEmpty && running.count > 1,
              let victim = running.max(by: { $0.admission < $1.admission }), let slot = victim.slot {
            preempt(victim.id, slot: slot)
            plan.preempted.append((victim.id, slot))
            fill(&plan, drafter: drafter)
        }
        return plan
    }

    private mutating func fill(_ plan: inout StepPlan, drafter: (any Drafter)?) {
        var budget = config.tokenBudget
        var reserved = 0
        var scheduled = Set<UInt64>()

        // Decodes first, in admission order. Preemption can remove candidates
        // further down the list, so each is looked up again.
        for id in running.filter({ $0.pending == 1 }).map(\.id) where budget > 0 {
            guard ensureCells(reserved + 1, for: id, scheduled: scheduled, plan: &plan),
                  let s = running.first(where: { $0.id == id }), let slot = s.slot else { continue }
            plan.entries.append(BatchEntry(id: id, slot: slot, start: s.computed, count: 1, wantsLogits: true))
            scheduled.insert(id)
            budget -= 1
            reserved += 1
        }
        if let drafter { addDrafts(&plan, drafter: drafter, budget: &budget, reserved: &reserved) }
        // Then prefill chunks with what is left of the budget, paced while
        // streams decode.
        budget = pacer.prefillTokens(decodes: scheduled.count, drafts: plan.drafts.values.reduce(0) { $0 + $1.count },
                                     budget: budget)
        for s in running where s.pending > 1 && budget > 0 {
            guard let slot = s.slot else { continue }
            var take = min(s.pending, budget)
            if let c = s.checkpointAt, s.computed < c, s.computed + take > c { take = c - s.computed }
            if !ensureCells(reserved + take, for: s.id, scheduled: scheduled, plan: &plan, allowPreemption: false) {
                take = min(take, kv.freeCells - reserved)
            }
            guard take > 0 else { continue }
            plan.entries.append(BatchEntry(id: s.id, slot: slot, start: s.computed, count: take,
                                           wantsLogits: s.computed + take == s.tokens.count))
            scheduled.insert(s.id)
            budget -= take
            reserved += take
        }
    }

    /// Lengthens decode entries by draft tokens, within the budget, the
    /// sequence's context and the free cells (no cached prefix is evicted
    /// for a guess). Before prefill: the running streams come first. Every
    /// drafting sequence is asked for in one call, each with room set aside
    /// for its whole limit; what a guess leaves unused goes back to prefill.
    private mutating func addDrafts(_ plan: inout StepPlan, drafter: any Drafter, budget: inout Int, reserved: inout Int) {
        var requests: [(entry: Int, request: DraftRequest)] = []
        var left = budget, free = kv.freeCells - reserved
        // Once the gate knows the step cost it prices every length from the
        // sequence's record; the halving limit is the rule before that (its
        // varied lengths are how the cost gets known) and without the gate.
        // Both at once starve long drafts: a halved limit is a length whose
        // fixed cost the few guesses in it cannot repay, so the gate turns
        // drafting off.
        let gated = config.speculation.adaptive && gate.fit != nil
        for i in plan.entries.indices where left > 0 && free > 0 {
            let e = plan.entries[i]
            guard let r = running.firstIndex(where: { $0.id == e.id }), running[r].speculative,
                  running[r].generatedCount > 0 else { continue }
            // After a search that found nothing, skip a few steps (1, 2, 4 ...
            // up to 16 while misses go on): text the history does not hold
            // would otherwise cost a scan of the whole window every step.
            if running[r].draftPause > 0 {
                running[r].draftPause -= 1
                continue
            }
            let s = running[r]
            let limit = gated ? config.speculation.maxDraft : s.draftLimit
            var room = min(left, free, config.cells - 1 - s.tokens.count, limit, config.speculation.maxDraft)
            guard room > 0 else { continue }
            if config.speculation.adaptive && !s.gateProbe {
                // Only as many guesses as pay for themselves. None: after a
                // pause, one probe drafts as found, so the acceptance and the
                // cost are measured again.
                room = gate.draftLength(limit: room, survival: s.draftRecord.survival(limit: room, prior: gate.priorAcceptance),
                                        decodes: plan.entries.count)
                guard room > 0 else {
                    running[r].draftPause = gate.probeInterval
                    running[r].gateProbe = true
                    continue
                }
            }
            running[r].gateProbe = false
            requests.append((i, DraftRequest(id: e.id, slot: e.slot, tokens: s.tokens, limit: room)))
            left -= room
            free -= room
        }
        guard !requests.isEmpty else { return }
        let guesses = drafter.draft(requests.map(\.request))
        for (i, request) in requests {
            guard let r = running.firstIndex(where: { $0.id == request.id }) else { continue }
            guard let found = guesses[request.id] else {
                running[r].draftPause = min(16, 1 << min(running[r].draftMisses, 4))
                running[r].draftMisses += 1
                continue
            }
            let guess = Array(found.prefix(request.limit))
            guard !guess.isEmpty else { continue }  // not ready: asked again next step
            running[r].draftMisses = 0
            plan.entries[i].count += guess.count
            plan.entries[i].drafted = guess.count
            plan.drafts[request.id] = guess
            budget -= guess.count
            reserved += guess.count
        }
    }

    /// Admits waiting sequences, first come first served, while a slot is idle
    /// and their prompt can find cells.
    private mutating func admit(into plan: inout StepPlan, firstPosition: (Int) -> Int) {
        while let next = waiting.first,
              var choice = chooseSlot(for: next.tokens, firstPosition: firstPosition) {
            if config.memory == .unified, choice.restoreFrom == nil, !choice.restoresCheckpoint {
                choice.reused = AttentionTile.reused(choice.reused, promptCount: next.tokens.count, tile: config.attentionTile)
            }
            let needed = next.tokens.count - choice.reused
            if needed > kv.freeCells + kv.reclaimableCells {
                // Not enough room even after dropping every cached prefix: wait
                // for running sequences to finish (or preempt, if none run).
                guard running.isEmpty else { break }
            }
            waiting.removeFirst()
            var s = next
            var admission = Admission(id: s.id, choice: choice)
            if let src = choice.shareFrom {
                spill(choice.slot, keeping: 0)
                kv.clear(choice.slot)
                kv.share(from: src, to: choice.slot, count: choice.reused)
            } else if choice.restoreFrom != nil {
                admission.evictions = prepareRestore(choice)
            } else {
                spill(choice.slot, keeping: choice.reused)
                kv.truncate(choice.slot, to: choice.reused)
            }
            kv.acquire(choice.slot, for: s.id)
            s.slot = choice.slot
            s.computed = choice.reused
            if s.reused == nil { s.reused = choice.reused }
            admissions += 1
            s.admission = admissions
            running.append(s)
            plan.admissions.append(admission)
        }
    }

    /// Makes `needed` cells free: evicts idle cached prefixes (least recently
    /// used first), then, if allowed, preempts the latest-admitted running
    /// sequence that has nothing in this step.
    private mutating func ensureCells(_ needed: Int, for id: UInt64, scheduled: Set<UInt64>,
                                      plan: inout StepPlan, allowPreemption: Bool = true) -> Bool {
        while kv.freeCells < needed {
            if let victim = kv.leastRecentlyUsedCachedSlot() {
                spill(victim, keeping: 0)
                kv.clear(victim)
                plan.evictions.append(victim)
                continue
            }
            guard allowPreemption,
                  let victim = running.filter({ $0.id != id && !scheduled.contains($0.id) })
                      .max(by: { $0.admission < $1.admission }),
                  let slot = victim.slot
            else { return false }
            preempt(victim.id, slot: slot)
            plan.preempted.append((victim.id, slot))
        }
        return true
    }

    /// Recompute preemption: the sequence loses its cells and waits at the
    /// front of the queue; readmitted, it prefills prompt + generated tokens.
    private mutating func preempt(_ id: UInt64, slot: Int) {
        guard let idx = running.firstIndex(where: { $0.id == id }) else { return }
        var s = running.remove(at: idx)
        kv.clear(slot)
        kv.release(slot)
        s.slot = nil
        s.computed = 0
        waiting.insert(s, at: 0)
    }

    // MARK: - Feedback from the engine

    /// Records that a plan's entries were decoded: their tokens now occupy cells.
    public mutating func completeStep(_ plan: StepPlan) { complete(plan.entries) }

    /// Records that these entries were decoded (all of a plan's, or the part
    /// of them that a split batch got through).
    public mutating func complete<C: Collection<BatchEntry>>(_ entries: C) {
        for e in entries {
            guard let idx = running.firstIndex(where: { $0.id == e.id }) else { continue }
            let ok = kv.append(e.slot, running[idx].tokens[e.start..<(e.start + e.count)])
            precondition(ok, "cells were reserved by schedule()")
            running[idx].computed += e.count
        }
    }

    /// A token sampled for a sequence: the next step decodes it.
    public mutating func appendSampled(_ id: UInt64, _ token: Token) {
        guard let idx = running.firstIndex(where: { $0.id == id }) else { return }
        running[idx].tokens.append(token)
    }

    /// The engine saved the state of a running sequence's slot after its
    /// first `length` tokens (see KVCacheManager.setCheckpoint).
    public mutating func recordCheckpoint(slot: Int, at length: Int) { kv.setCheckpoint(slot, at: length) }

    /// Starts a running sequence's prefill again from its first token, its
    /// slot emptied: the engine could not give it the cached prefix the plan
    /// assumed (llama.cpp refused the memory edit).
    public mutating func rewind(_ id: UInt64) {
        guard let idx = running.firstIndex(where: { $0.id == id }), let slot = running[idx].slot else { return }
        kv.clear(slot)
        running[idx].computed = 0
        running[idx].reused = 0
    }

    /// Removes a sequence that finished or was cancelled, running or waiting.
    /// Its slot becomes idle and keeps its cells as a cached prefix.
    @discardableResult
    public mutating func remove(_ id: UInt64) -> SequenceState? {
        if let idx = running.firstIndex(where: { $0.id == id }) {
            let s = running.remove(at: idx)
            if let slot = s.slot { kv.release(slot) }
            return s
        }
        if let idx = waiting.firstIndex(where: { $0.id == id }) {
            return waiting.remove(at: idx)
        }
        return nil
    }

    /// Evicts least-recently-used cached prefixes until idle slots hold no
    /// more than `prefixCacheCells` cells of their own. The most recently
    /// released prefix always stays, whatever its size: it is the one the next
    /// turn of a conversation (Claude Code resending its history) reuses.
    /// Returns the cleared slots; the engine must mirror them in llama.cpp.
    public mutating func trimPrefixCache() -> [Int] {
        let newest = kv.slots.indices
            .filter { kv.isIdle($0) && !kv.slots[$0].tokens.isEmpty }
            .max { kv.slots[$0].lastUsed < kv.slots[$1].lastUsed }
        var cleared: [Int] = []
        while kv.reclaimableCells > config.prefixCacheCells,
              let victim = kv.leastRecentlyUsedCachedSlot(excluding: newest.map { [$0] } ?? []) {
            spill(victim, keeping: 0)
            kv.clear(victim)
            cleared.append(victim)
        }
        return cleared
    }

    /// Drops a slot's cached prefix (the engine must mirror it in llama.cpp).
    public mutating func dropCache(_ slot: Int) {
        guard kv.isIdle(slot) else { return }
        kv.clear(slot)
    }
}
