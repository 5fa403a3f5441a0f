import CLlama
import Glibc

/// Guesses from a draft model: a smaller model with the target's vocabulary
/// continues each sequence greedily, and the target verifies those tokens in
/// its own batch as it does n-gram guesses (ChatEngine.verify). The draft
/// model has its own context, one llama sequence per target slot, and is
/// used only on the engine thread, from `Scheduler.schedule`.
///
/// Each call drafts every asked sequence together: first each slot's draft
/// cache is brought up to the sequence's tokens (kept as far as it agrees
/// with them, so accepted guesses stay and rejected ones, or a slot taken by
/// another sequence, are cut; the missing tokens decode as one batch across
/// sequences), then one batch per draft step across the sequences still
/// drafting. The cache mirrors tokens, not the scheduler's bookkeeping, so
/// preemption, cancels, prefix-cache hits and reused slots need no message:
/// whatever a slot held, only the part that agrees with its next sequence
/// survives.
final class DraftModelDrafter: Drafter {
    let model: LlamaModel
    private let context: LlamaContext
    private let batch: LlamaBatch
    /// The tokens each slot's draft cache holds, at positions 0..<count.
    private var cached: [[Token]]
    /// The call that last drafted for each slot: idle slots' caches are
    /// cleared oldest first when the cells run short.
    private var lastUsed: [Int]
    private var calls = 0
    /// Guesses at or past this id are not the target's tokens (vocabularies
    /// may differ in size by a little).
    private let targetVocabSize: Int
    /// Guesses less likely than this (to the draft model) are not proposed.
    private let minProbability: Float
    /// Most missing tokens one call decodes (see catchUp).
    let catchUpPerCall: Int

    /// Refuses a draft model whose vocabulary is not the target's
    /// (DraftCompatibility). The context has one sequence per target slot
    /// and the target's cells: a slot never holds more than its sequence
    /// plus this step's guesses, which the target's context also bounds.
    init(model: LlamaModel, target: LlamaModel, settings: ContextSettings, minProbability: Float = 0) throws {
        if let problem = DraftCompatibility.problem(target: target, draft: model) {
            throw ModelLoadError.invalid(path: model.path, reason: "it cannot draft for \(target.path): \(problem)")
        }
        var s = ContextSettings(contextSize: settings.contextSize, parallel: settings.parallel,
                                batchSize: settings.batchSize, microBatchSize: settings.microBatchSize,
                                threads: settings.threads, batchThreads: settings.batchThreads,
                                flashAttention: settings.flashAttention)
        // A full-size sliding-window cache keeps every position, so any
        // prefix can stay when guesses are cut.
        s.swaFull = true
        self.model = model
        self.context = try LlamaContext(model: model, settings: s)
        self.batch = LlamaBatch(capacity: max(settings.batchSize, settings.parallel))
        self.cached = Array(repeating: [], count: settings.parallel)
        self.lastUsed = Array(repeating: 0, count: settings.parallel)
        self.targetVocabSize = target.vocabSize
        self.minProbability = minProbability
        self.catchUpPerCall = max(1, settings.microBatchSize)
    }

    /// Cells in the draft context.
    var capacity: Int { context.contextSize }
    /// Tokens the draft caches hold, all slots together.
    var usedCells: Int { cached.reduce(0) { $0 + $1.count } }
    /// What one slot's draft cache holds (tests).
    func cachedTokens(slot: Int) -> [Token] { cached[slot] }

    /// One sequence being drafted in this call.
    private struct Run {
        let id: UInt64
        let slot: Int
        let tokens: [Token]
        let limit: Int
        /// The draft model's choice after the last decoded token; nil when none.
        var next: Token?
        var guess: [Token] = []
        var done = false
    }

    func draft(_ requests: [DraftRequest]) -> [UInt64: [Token]] {
        calls += 1
        var runs = prepare(requests)
        guard !runs.isEmpty else { return [:] }
        guard catchUp(&runs) else {
            for r in runs { trim(r.slot, to: 0) }
            return [:]
        }
        step(&runs)
        var out: [UInt64: [Token]] = [:]
        for r in runs {
            if !r.guess.isEmpty { out[r.id] = r.guess }
            else if cached[r.slot].count < r.tokens.count { out[r.id] = [] }  // still catching up
        }
        return out
    }

    /// Cuts each asked slot's cache back to what agrees with its sequence
    /// (always re-decoding the last token: its logits give the first guess)
    /// and finds the cells its missing tokens and guesses take, clearing
    /// idle slots' caches when short. A sequence that still does not fit is
    /// not drafted this time.
    private func prepare(_ requests: [DraftRequest]) -> [Run] {
        let asked = Set(requests.map(\.slot))
        var reserved = 0
        var runs: [Run] = []
        for r in requests where cached.indices.contains(r.slot) && !r.tokens.isEmpty && r.limit > 0
            && !runs.contains(where: { $0.slot == r.slot }) {
            let keep = min(commonPrefix(cached[r.slot], r.tokens), r.tokens.count - 1)
            trim(r.slot, to: keep)
            // Every guess but the last enters the cache.
            let needed = r.tokens.count - keep + r.limit - 1
            while capacity - usedCells - reserved < needed, let idle = oldestIdleSlot(excluding: asked) {
                trim(idle, to: 0)
            }
            guard capacity - usedCells - reserved >= needed else { continue }
            reserved += needed
            lastUsed[r.slot] = calls
            runs.append(Run(id: r.id, slot: r.slot, tokens: r.tokens, limit: r.limit))
        }
        return runs
    }

    /// Decodes the runs' missing tokens, at most `catchUpPerCall` of them
    /// in all, the runs missing fewest first: a stream already drafting needs
    /// one or a few, while a sequence met for the first time brings its whole
    /// prompt, which then fills the draft cache over several steps (one
    /// micro-batch each) instead of lengthening one step by all of it. A run
    /// not caught up is not drafted this call. Each run's first guess is
    /// read right after the batch that held its last token (a later decode
    /// replaces the logits).
    private func catchUp(_ runs: inout [Run]) -> Bool {
        var left = catchUpPerCall
        var grant = Array(repeating: 0, count: runs.count)
        for i in runs.indices.sorted(by: { missing(runs[$0]) < missing(runs[$1]) }) {
            grant[i] = min(missing(runs[i]), left)
            left -= grant[i]
        }
        batch.clear()
        var last: [(run: Int, index: Int32)] = []
        for i in runs.indices {
            let r = runs[i]
            let start = cached[r.slot].count, end = start + grant[i]
            if end < r.tokens.count { runs[i].done = true }
            for pos in start..<end {
                if batch.isFull {
                    guard decode(&runs, reading: last) else { return false }
                    last.removeAll(keepingCapacity: true)
                    batch.clear()
                }
                let isLast = pos == r.tokens.count - 1
                let index = batch.add(r.tokens[pos], position: pos, sequence: Int32(r.slot), wantLogits: isLast)
                if isLast { last.append((i, index)) }
            }
            cached[r.slot] = Array(r.tokens.prefix(end))
        }
        return batch.count == 0 || decode(&runs, reading: last)
    }

    private func missing(_ r: Run) -> Int { r.tokens.count - cached[r.slot].count }

    /// The draft steps: each takes every run's latest choice as a guess and,
    /// while the run wants more, decodes it (one batch across runs) for the
    /// next. A run stops at its limit, at an end-of-generation guess, or
    /// before an unlikely choice or a token the target does not have.
    private func step(_ runs: inout [Run]) {
        while true {
            batch.clear()
            var reading: [(run: Int, index: Int32)] = []
            for i in runs.indices where !runs[i].done {
                guard let t = runs[i].next, Int(t) < targetVocabSize else { runs[i].done = true; continue }
                runs[i].guess.append(t)
                if runs[i].guess.count >= runs[i].limit || model.isEndOfGeneration(t) { runs[i].done = true; continue }
                let slot = runs[i].slot
                let index = batch.add(t, position: cached[slot].count, sequence: Int32(slot), wantLogits: true)
                cached[slot].append(t)
                reading.append((i, index))
            }
            guard !reading.isEmpty else { return }
            guard decode(&runs, reading: reading) else {
                // The guesses so far stand; the cache drops this step's.
                for (i, _) in reading {
                    trim(runs[i].slot, to: runs[i].tokens.count)
                    runs[i].done = true
                }
                return
            }
        }
    }

    /// Decodes the batch and sets `next` of the runs read at those indices.
    private func decode(_ runs: inout [Run], reading: [(run: Int, index: Int32)]) -> Bool {
        guard context.decode(batch) == 0 else { return false }
        for (i, index) in reading { runs[i].next = argmax(index) }
        return true
    }

    /// The draft model's most likely token there; nil when its probability
    /// is under `minProbability`.
    private func argmax(_ index: Int32) -> Token? {
        guard let logits = context.logits(at: index) else { return nil }
        let n = model.vocabSize
        var best = 0
        for i in 1..<n where logits[i] > logits[best] { best = i }
        if minProbability > 0 {
            // p(best) = 1 / sum(exp(l - l_best)).
            let top = logits[best]
            var sum: Float = 0
            for i in 0..<n { sum += expf(logits[i] - top) }
            if 1 / sum < minProbability { return nil }
        }
        return Token(best)
    }

    /// Keeps a slot's first `length` cached tokens; when llama.cpp will not
    /// cut there, the slot is emptied (it refills from the sequence).
    private func trim(_ slot: Int, to length: Int) {
        guard cached[slot].count > length else { return }
        if context.removeTokens(seq: Int32(slot), from: length) {
            cached[slot].removeSubrange(length...)
        } else {
            context.removeTokens(seq: Int32(slot), from: 0)
            cached[slot] = []
        }
    }

    private func oldestIdleSlot(excluding asked: Set<Int>) -> Int? {
        cached.indices.filter { !asked.contains($0) && !cached[$0].isEmpty }.min { lastUsed[$0] < lastUsed[$1] }
    }

    private func commonPrefix(_ a: [Token], _ b: [Token]) -> Int {
        var n = 0
        let m = min(a.count, b.count)
        while n < m && a[n] == b[n] { n += 1 }
        return n
    }
}
