import CLlama
import Foundation
import Synchronization

/// Live numbers for /metrics and /health, published by the engine thread.
public struct EngineSnapshot: Sendable, Equatable {
    public var running = 0
    public var waiting = 0
    public var kvCellsUsed = 0
    public var kvCellsTotal = 0
    public var lastBatchTokens = 0
    public var steps = 0
    /// Draft tokens proposed and accepted since the model was loaded.
    public var draftedTokens = 0
    public var acceptedTokens = 0
    /// Bytes of recurrent-state checkpoints held for the slots' cached prefixes.
    public var savedStateBytes = 0
}

/// Generation for one loaded chat model. One dedicated thread owns the
/// llama context and runs the step loop; `submit` and `cancel` are safe from
/// any thread and never wait for a step.
public final class ChatEngine: @unchecked Sendable {
    public let model: LlamaModel
    public let template: ChatTemplate
    public let settings: ContextSettings
    public let maxWaiting: Int
    /// The model's configured sampling defaults and max_tokens.
    public let defaults: GenerationDefaults
    /// What prefix reuse may do on this model's memory, with these settings.
    public let memory: MemoryKind
    /// Control tokens that are tool-call or reasoning syntax, shown to the output parser.
    public let markers: MarkerTokens

    private let inbox = EngineInbox()
    private let nextID = Atomic<UInt64>(1)
    private let published = Mutex(EngineSnapshot())
    private let done = DispatchSemaphore(value: 0)
    private let stepObserver = Mutex<(@Sendable (Int) -> Void)?>(nil)
    /// Saved prefix states (engine thread), stats (any thread): ChatEngine+HostCache.swift.
    let hostCache = HostPrefixStore()

    // Engine thread only.
    private let context: LlamaContext
    private var scheduler: Scheduler
    /// The draft model's drafter (speculation type draft); nil: the
    /// scheduler's own n-gram lookup, or no speculation.
    private let drafter: DraftModelDrafter?
    private var active: [UInt64: ActiveGeneration] = [:]
    private let batch: LlamaBatch
    private var steps = 0
    private var draftedTokens = 0
    private var acceptedTokens = 0
    /// This step's draft tokens, by sequence (StepPlan.drafts).
    private var drafts: [UInt64: [Token]] = [:]
    /// Built on the first grammar-constrained request: it added about 80 ms to
    /// the first one on tiny-llama (128k tokens, 2 cores), then nothing.
    private lazy var utf8Table = UTF8TokenTable(model: model)
    /// Recurrent memory: each slot's state saved where its last prompt ended,
    /// so a later prompt that shares the prompt but not the reply continues
    /// from there (llama-server's context checkpoints, one per slot).
    private var checkpoints: [Int: [Int: [UInt8]]] = [:]
    /// One candidate per token for grammar sampling, shared by all sequences;
    /// allocated on first use.
    private var candidates: UnsafeMutablePointer<llama_token_data>?

    /// `draftModel`: the loaded model of `speculation.draftModel`, needed
    /// when that is set (and unused on recurrent memory, which never speculates).
    public init(model: LlamaModel, settings: ContextSettings, maxWaiting: Int = 256, prefixCacheCells: Int? = nil,
                prefixReuse: Bool = true, defaults: GenerationDefaults = GenerationDefaults(),
                chatTemplate: String? = nil, targetStepSeconds: Double = 0,
                speculation: SpeculationConfig = .off, draftModel: LlamaModel? = nil, hostCacheBytes: Int = 0) throws {
        self.model = model
        self.template = try ChatTemplate(source: chatTemplate ?? model.chatTemplate,
                                         bosToken: model.tokenText(model.bos) ?? "",
                                         eosToken: model.tokenText(model.eos) ?? "")
        self.settings = settings
        self.maxWaiting = maxWaiting
        self.defaults = defaults
        self.markers = MarkerTokens(model: model, chatTemplate: model.chatTemplate)
        self.context = try LlamaContext(model: model, settings: settings)
        self.memory = settings.swaFull && model.memoryKind != .recurrent ? .unified : model.memoryKind
        let cells = context.contextSize
        var schedule = SchedulerConfig(
            slots: settings.parallel, tokenBudget: settings.batchSize, maxWaiting: maxWaiting, cells: cells,
            prefixCacheCells: prefixCacheCells,
            memory: memory,
            prefixReuse: prefixReuse,
            targetStepSeconds: targetStepSeconds,
            speculation: speculation)
        schedule.attentionTile = settings.attentionTile
        self.scheduler = Scheduler(config: schedule)
        if scheduler.config.speculation.draftModel != nil {
            guard let draftModel else {
                throw ModelLoadError.invalid(path: model.path, reason: "speculation with a draft model, but no draft model was loaded")
            }
            self.drafter = try DraftModelDrafter(model: draftModel, target: model, settings: settings,
                                                 minProbability: scheduler.config.speculation.draftModel?.minProbability ?? 0)
        } else {
            self.drafter = nil
        }
        self.batch = LlamaBatch(capacity: settings.batchSize)
        published.withLock { $0.kvCellsTotal = cells }
        scheduler.enableHostCache(bytes: hostCacheBytes)
        hostCache.publish(scheduler.pool)
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "pendra-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// KV cells in the context: the most tokens one sequence can hold.
    public var contextSize: Int { scheduler.config.cells }
    public var maxPromptTokens: Int { scheduler.config.cells - 1 }

    public var snapshot: EngineSnapshot { published.withLock { $0 } }

    /// Queues a generation. Refuses at once (nothing queued) when the prompt
    /// can never fit or the waiting queue is full.
    public func submit(_ request: GenerationRequest) throws(EngineError) -> GenerationStream {
        guard !request.prompt.isEmpty else { throw .emptyPrompt }
        guard request.prompt.count <= maxPromptTokens else {
            throw .promptTooLong(tokens: request.prompt.count, limit: maxPromptTokens)
        }
        if request.maxTokens == 0 {
            // Nothing to generate (Anthropic allows max_tokens 0): answer without a step.
            let (stream, c) = AsyncStream<GenerationEvent>.makeStream()
            c.yield(.finished(GenerationResult(reason: .length, usage: Usage(promptTokens: request.prompt.count),
                                               timings: Timings())))
            c.finish()
            return GenerationStream(id: 0, promptTokens: request.prompt.count, events: stream)
        }
        // Built here, off the engine thread: an invalid grammar is the
        // caller's error, answered before anything is queued.
        // ignore_eos bans the end-of-generation tokens, as llama-server does, so
        // a benchmark's text goes on as text instead of rendering past a turn's end.
        var sampling = request.sampling
        if request.ignoreEOS { for t in model.endOfGenerationTokens { sampling.logitBias[t] = -.infinity } }
        let sampler = try SamplerChain(sampling, model: model)
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let submission = EngineInbox.Submission(id: id, request: request, sampler: sampler,
                                                continuation: continuation,
                                                submitted: DispatchTime.now().uptimeNanoseconds)
        if let error = inbox.submit(submission, limit: maxWaiting) {
            continuation.finish()
            throw error
        }
        continuation.onTermination = { [weak self] reason in
            if case .cancelled = reason { self?.cancel(id) }
        }
        return GenerationStream(id: id, promptTokens: request.prompt.count, events: stream)
    }

    /// Called on the engine thread with each step's batch size (tokens), for
    /// metrics. It must be quick and never block: it runs between decodes.
    public func observeSteps(_ observer: @escaping @Sendable (Int) -> Void) {
        stepObserver.withLock { $0 = observer }
    }

    /// Cancels a generation; it ends with `.cancelled` at the next step and its slot is freed.
    public func cancel(_ id: UInt64) { inbox.cancel(id) }

    deinit { candidates?.deallocate() }

    /// Ends every generation (with an error saying the server is stopping)
    /// and stops the thread. The engine cannot be used after.
    public func shutdown() {
        inbox.stop()
        done.wait()
    }

    // MARK: - The engine thread

    private func run() {
        while true {
            let idle = scheduler.running.isEmpty && scheduler.waiting.isEmpty
            let posted = inbox.take(wait: idle)
            for s in posted.submissions { accept(s) }
            for id in posted.cancellations { finish(id, .cancelled) }
            if !posted.cancellations.isEmpty { trimPrefixCache() }
            if posted.stopping {
                // Clients still listening hear why their stream ends.
                for id in Array(active.keys) { finish(id, .error("the server is shutting down")) }
                publish(batchTokens: 0)
                done.signal()
                return
            }
            step()
        }
    }

    private func accept(_ s: EngineInbox.Submission) {
        let g = ActiveGeneration(id: s.id, request: s.request, sampler: s.sampler,
                                 continuation: s.continuation, submitted: s.submitted)
        do {
            let speculative = scheduler.config.speculation.isOn && s.request.speculative && !s.sampler.hasGrammar
            try scheduler.enqueue(SequenceState(id: s.id, prompt: s.request.prompt, checkpointAt: s.request.checkpointAt,
                                                speculative: speculative))
        } catch {
            // Checked at submit already; kept for the state machine's own guarantees.
            inbox.adjustOutstanding(by: -1)
            g.finish(.error("\(error)"), now: DispatchTime.now().uptimeNanoseconds)
            return
        }
        active[s.id] = g
    }

    private func step() {
        // The whole step is timed, scheduling included: a draft model drafts
        // there, and its cost is part of what a guess costs (SpeculationGate).
        let started = DispatchTime.now().uptimeNanoseconds
        var plan = scheduler.schedule(firstPosition: { [context] in context.minPosition(seq: Int32($0)) }, drafter: drafter)
        let rewound = apply(plan)
        if !rewound.isEmpty { plan.entries.removeAll { rewound.contains($0.id) } }
        guard !plan.isEmpty else {
            publish(batchTokens: 0)
            // Sequences wait for cells that only a cancel or new input can
            // change: sleep until something is posted (the loop takes it).
            if rewound.isEmpty && (!scheduler.waiting.isEmpty || !scheduler.running.isEmpty) {
                inbox.waitForInput(timeout: 0.05)
            }
            return
        }
        let runningBefore = scheduler.running.count
        // Admissions show before their first token does: a client that got
        // a token and then reads /health sees itself running.
        publishCounts()
        let decodes = scheduler.decodeCount(plan.entries)
        drafts = plan.drafts
        decode(plan.entries[...])
        drafts.removeAll(keepingCapacity: true)
        scheduler.observeStep(decodes: decodes, tokens: plan.tokenCount, drafts: plan.entries.reduce(0) { $0 + $1.drafted },
                              seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        if scheduler.running.count < runningBefore { trimPrefixCache() }
        publish(batchTokens: plan.tokenCount)
    }

    /// Decodes entries as one batch and samples their next tokens. When
    /// llama.cpp refuses the batch it is split in halves and each retried
    /// (llama-server halves its batch the same way), down to single
    /// sequences: only an entry that fails on its own fails its sequence,
    /// and its neighbours' outputs are what they would have been.
    private func decode(_ entries: ArraySlice<BatchEntry>) {
        batch.clear()
        var logitIndex: [(id: UInt64, index: Int32)] = []
        logitIndex.reserveCapacity(entries.count)
        var draftIndex: [UInt64: Int32] = [:]
        for e in entries {
            guard let seq = scheduler.running.first(where: { $0.id == e.id }) else { continue }
            if e.drafted > 0, let guess = drafts[e.id] {
                // The last sampled token, then the guesses, every one with logits.
                let first = batch.add(seq.tokens[e.start], position: e.start, sequence: Int32(e.slot), wantLogits: true)
                for (i, t) in guess.enumerated() {
                    _ = batch.add(t, position: e.start + 1 + i, sequence: Int32(e.slot), wantLogits: true)
                }
                draftIndex[e.id] = first
                continue
            }
            for pos in e.start..<(e.start + e.count) {
                let last = e.wantsLogits && pos == e.start + e.count - 1
                let i = batch.add(seq.tokens[pos], position: pos, sequence: Int32(e.slot), wantLogits: last)
                if last { logitIndex.append((e.id, i)) }
            }
        }
        let rc = context.decode(batch)
        guard rc == 0 else {
            recover(from: rc, entries)
            return
        }
        scheduler.complete(entries.filter { $0.drafted == 0 })
        if memory == .recurrent { saveCheckpoints(entries) }
        let now = DispatchTime.now().uptimeNanoseconds
        for (id, index) in logitIndex {
            guard let g = active[id] else { continue }
            handle(nextToken(g, index: index), for: g, now: now)
        }
        for e in entries where e.drafted > 0 {
            guard let first = draftIndex[e.id], let guess = drafts[e.id] else { continue }
            verify(e, guess: guess, firstIndex: first, now: now)
        }
    }

    /// The token a generation takes from the logits at `index`: the spent
    /// reasoning budget's closing tag (written, not sampled), a grammar's
    /// well-formed sample, or a plain sample. Drafted and plain decodes both
    /// come here, so speculation changes nothing about the choice.
    private func nextToken(_ g: ActiveGeneration, index: Int32) -> Token {
        if let close = g.budgetClose(markers), g.sampler.force(close, table: g.sampler.hasGrammar ? utf8Table : nil) {
            return close
        }
        if g.sampler.hasGrammar {
            let buffer = candidates ?? .allocate(capacity: model.vocabSize)
            candidates = buffer
            return g.sampler.sampleWellFormed(context, index: index, table: utf8Table, candidates: buffer)
        }
        return g.sampler.sample(context, index: index)
    }

    /// Speculative decoding's acceptance: the target model samples at each
    /// position in turn, exactly as without drafts, and each sample that
    /// equals the guess there lets the next position's logits (already
    /// computed in this batch) be used. The first sample that differs is kept
    /// and ends the run. Every emitted token is therefore a sample of the
    /// target distribution given the tokens before it: greedy output is the
    /// same as without speculation and sampling's distribution is unchanged
    /// (the draft only decides how many positions were computed ahead).
    /// Rejected guesses leave the cache.
    private func verify(_ e: BatchEntry, guess: [Token], firstIndex: Int32, now: UInt64) {
        guard let g = active[e.id] else {
            context.removeTokens(seq: Int32(e.slot), from: e.start)
            return
        }
        var accepted = 0
        var alive = true
        for i in 0...guess.count {
            guard let emitted = handle(nextToken(g, index: firstIndex + Int32(i)), for: g, now: now) else { alive = false; break }
            guard i < guess.count, emitted == guess[i] else { break }
            accepted += 1
        }
        draftedTokens += guess.count
        acceptedTokens += accepted
        if alive {
            scheduler.recordDraft(e.id, drafted: guess.count, accepted: accepted)
            scheduler.complete([BatchEntry(id: e.id, slot: e.slot, start: e.start, count: 1 + accepted, wantsLogits: true)])
            context.removeTokens(seq: Int32(e.slot), from: e.start + 1 + accepted)
        } else {
            // Finished mid-run: its slot's cached prefix ends where this step began.
            context.removeTokens(seq: Int32(e.slot), from: e.start)
        }
    }

    /// Saves the state of every slot whose prompt prefill just ended.
    private func saveCheckpoints(_ entries: ArraySlice<BatchEntry>) {
        for e in entries {
            let end = e.start + e.count
            guard let seq = scheduler.running.first(where: { $0.id == e.id }), seq.isCheckpoint(end),
                  let state = context.saveState(seq: Int32(e.slot), .partial) else { continue }
            scheduler.recordCheckpoint(slot: e.slot, at: end)
            // The state it replaces (a slot keeps two) goes at the step's end.
            checkpoints[e.slot, default: [:]][end] = state
        }
    }

    /// Frees the saved states of checkpoints the scheduler no longer lists
    /// (a slot it cleared for other cells, or cut back): only a listed one
    /// is ever restored, so the rest would be held for nothing until that
    /// slot next saves. Runs at the end of each step.
    private func dropForgottenCheckpoints() {
        for (slot, states) in checkpoints {
            let listed = scheduler.kv.slots[slot].checkpoints
            guard states.keys.contains(where: { !listed.contains($0) }) else { continue }
            let kept = states.filter { listed.contains($0.key) }
            checkpoints[slot] = kept.isEmpty ? nil : kept
        }
    }

    /// A refused batch: undo what llama.cpp kept of it (it rolls back only
    /// the micro-batch that failed), then retry in halves; a single prefill
    /// chunk is halved too, and a single token that still fails ends its
    /// sequence with the error.
    private func recover(from rc: Int32, _ entries: ArraySlice<BatchEntry>) {
        for e in entries where !context.removeTokens(seq: Int32(e.slot), from: e.start) {
            // Recurrent state cannot be cut back: start that sequence over.
            context.removeTokens(seq: Int32(e.slot), from: 0)
            scheduler.rewind(e.id)
        }
        // Drafts are dropped on a retry: plain decodes are what must get through.
        let alive = entries.filter { e in scheduler.running.contains { $0.id == e.id && $0.computed == e.start } }
            .map { $0.drafted > 0 ? BatchEntry(id: $0.id, slot: $0.slot, start: $0.start, count: 1, wantsLogits: true) : $0 }
        if alive.count > 1 {
            let mid = alive.count / 2
            decode(alive[..<mid])
            decode(alive[mid...])
        } else if let e = alive.first, e.count > 1 {
            let head = e.count / 2
            let first = BatchEntry(id: e.id, slot: e.slot, start: e.start, count: head, wantsLogits: false)
            let rest = BatchEntry(id: e.id, slot: e.slot, start: e.start + head, count: e.count - head,
                                  wantsLogits: e.wantsLogits)
            decode([first][...])
            if scheduler.running.contains(where: { $0.id == e.id && $0.computed == rest.start }) { decode([rest][...]) }
        } else if let e = alive.first {
            context.removeTokens(seq: Int32(e.slot), from: 0)
            finish(e.id, .error("llama_decode returned \(rc) for this sequence"), dropCache: true)
        }
    }

    /// Mirrors the plan's cache decisions in llama.cpp, in the order the
    /// scheduler made them. Every memory edit is checked: a sequence whose
    /// prefix llama.cpp would not keep is rewound to prefill in full, and its
    /// id returned so this step leaves it out.
    private func apply(_ plan: StepPlan) -> Set<UInt64> {
        let now = DispatchTime.now().uptimeNanoseconds
        var rewound = Set<UInt64>()
        hostCache.saveSpills(context: context, scheduler: &scheduler)
        for a in plan.admissions {
            let slot = Int32(a.choice.slot)
            for s in a.evictions { context.removeTokens(seq: Int32(s), from: 0) }
            hostCache.countMiss(a, pool: scheduler.pool)
            let kept: Bool
            if a.choice.restoreFrom != nil {
                kept = hostCache.restore(a, context: context, scheduler: &scheduler)
            } else if let src = a.choice.shareFrom {
                context.removeTokens(seq: slot, from: 0)
                kept = context.shareTokens(from: Int32(src), to: slot, count: a.choice.reused)
            } else if a.choice.restoresCheckpoint {
                if let state = checkpoints[a.choice.slot]?[a.choice.reused] {
                    kept = context.restoreState(seq: slot, state, .partial) && context.removeTokens(seq: slot, from: a.choice.reused)
                } else {
                    kept = false
                }
            } else {
                kept = context.removeTokens(seq: slot, from: a.choice.reused)
            }
            var reused = a.choice.reused
            if !kept {
                context.removeTokens(seq: slot, from: 0)
                scheduler.rewind(a.id)
                rewound.insert(a.id)
                reused = 0
            }
            if let g = active[a.id], g.admitted == nil {
                g.admitted = now
                g.reusedPromptTokens = reused
            }
        }
        for slot in plan.evictions { context.removeTokens(seq: Int32(slot), from: 0) }
        for p in plan.preempted { context.removeTokens(seq: Int32(p.slot), from: 0) }
        // Admitted sequences left the waiting queue; preempted ones rejoined it.
        inbox.adjustOutstanding(by: plan.preempted.count - plan.admissions.count)
        return rewound
    }

    /// Emits a sampled token; returns the token that enters the context
    /// (the sampled one, or the reasoning's closing tag in its place), or nil
    /// when the generation ended here.
    @discardableResult
    private func handle(_ sampled: Token, for g: ActiveGeneration, now: UInt64) -> Token? {
        if g.firstToken == nil { g.firstToken = now }
        if !g.request.ignoreEOS && model.isEndOfGeneration(sampled) {
            finish(g.id, .endOfGeneration)
            return nil
        }
        var token = sampled
        if g.output.inReasoning {
            // A spent reasoning budget closes the reasoning: the closing tag
            // replaces the sampled token, in the text and in the context, so
            // the model goes on to answer.
            if let t = g.budgetClose(markers), token == t || !g.sampler.hasGrammar {
                token = t
            } else {
                g.reasoningTokens += 1
            }
        }
        g.completionTokens += 1
        g.pieceBuffer.removeAll(keepingCapacity: true)
        model.piece(token, special: markers.contains(token), into: &g.pieceBuffer)
        if let stop = g.emit(pieceBytes: g.pieceBuffer) {
            finish(g.id, .stopSequence(stop))
            return nil
        }
        if let max = g.request.maxTokens, g.completionTokens >= max {
            finish(g.id, .length)
            return nil
        }
        // The sampled token needs a cell next step; a full context ends here.
        if g.request.prompt.count + g.completionTokens >= scheduler.config.cells {
            finish(g.id, .length)
            return nil
        }
        scheduler.appendSampled(g.id, token)
        return token
    }

    private func trimPrefixCache() {
        let cleared = scheduler.trimPrefixCache()
        hostCache.saveSpills(context: context, scheduler: &scheduler)
        for slot in cleared { context.removeTokens(seq: Int32(slot), from: 0) }
    }

    private func finish(_ id: UInt64, _ reason: FinishReason, dropCache: Bool = false) {
        let wasWaiting = scheduler.waiting.contains { $0.id == id }
        let state = scheduler.remove(id)
        if wasWaiting { inbox.adjustOutstanding(by: -1) }
        if dropCache, let slot = state?.slot { scheduler.dropCache(slot) }
        guard let g = active.removeValue(forKey: id) else { return }
        // The counts first: a client that has its last event and then reads
        // /health, /metrics or the dashboard must not see itself still running.
        publishCounts()
        g.finish(reason, now: DispatchTime.now().uptimeNanoseconds)
    }

    /// The sequence counts and cells in use, ahead of the step's full snapshot.
    private func publishCounts() {
        let running = scheduler.running.count, waiting = scheduler.waiting.count, used = scheduler.kv.usedCells
        published.withLock {
            $0.running = running
            $0.waiting = waiting
            $0.kvCellsUsed = used
        }
    }

    private func publish(batchTokens: Int) {
        if !checkpoints.isEmpty { dropForgottenCheckpoints() }
        if batchTokens > 0 {
            steps += 1
            stepObserver.withLock { $0 }?(batchTokens)
        }
        let s = EngineSnapshot(running: scheduler.running.count, waiting: scheduler.waiting.count,
                               kvCellsUsed: scheduler.kv.usedCells, kvCellsTotal: scheduler.kv.totalCells,
                               lastBatchTokens: batchTokens, steps: steps,
                               draftedTokens: draftedTokens, acceptedTokens: acceptedTokens,
                               savedStateBytes: checkpoints.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } })
        published.withLock { $0 = s }
    }
}
