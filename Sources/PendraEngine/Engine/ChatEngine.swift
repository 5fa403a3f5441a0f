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
}

/// Generation for one loaded chat model. One dedicated thread owns the
/// llama context and runs the step loop; `submit` and `cancel` are safe from
/// any thread and never wait for a step.
public final class ChatEngine: @unchecked Sendable {
    public let model: LlamaModel
    public let template: ChatTemplate
    public let settings: ContextSettings
    public let maxWaiting: Int
    /// Control tokens that are tool-call or reasoning syntax, shown to the output parser.
    public let markers: MarkerTokens

    private let inbox = EngineInbox()
    private let nextID = Atomic<UInt64>(1)
    private let published = Mutex(EngineSnapshot())
    private let done = DispatchSemaphore(value: 0)
    private let stepObserver = Mutex<(@Sendable (Int) -> Void)?>(nil)

    // Engine thread only.
    private let context: LlamaContext
    private var scheduler: Scheduler
    private var active: [UInt64: ActiveGeneration] = [:]
    private let batch: LlamaBatch
    private var steps = 0
    /// Built on the first grammar-constrained request: it added about 80 ms to
    /// the first one on tiny-llama (128k tokens, 2 cores), then nothing.
    private lazy var utf8Table = UTF8TokenTable(model: model)
    /// One candidate per token for grammar sampling, shared by all sequences;
    /// allocated on first use.
    private var candidates: UnsafeMutablePointer<llama_token_data>?

    public init(model: LlamaModel, settings: ContextSettings, maxWaiting: Int = 256, prefixCacheCells: Int? = nil) throws {
        self.model = model
        self.template = try ChatTemplate(source: model.chatTemplate,
                                         bosToken: model.tokenText(model.bos) ?? "",
                                         eosToken: model.tokenText(model.eos) ?? "")
        self.settings = settings
        self.maxWaiting = maxWaiting
        self.markers = MarkerTokens(model: model, chatTemplate: model.chatTemplate)
        self.context = try LlamaContext(model: model, settings: settings)
        let cells = context.contextSize
        self.scheduler = Scheduler(config: SchedulerConfig(
            slots: settings.parallel, tokenBudget: settings.batchSize, maxWaiting: maxWaiting, cells: cells,
            prefixCacheCells: prefixCacheCells))
        self.batch = LlamaBatch(capacity: settings.batchSize)
        published.withLock { $0.kvCellsTotal = cells }
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
        let sampler = try SamplerChain(request.sampling, model: model)
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
            try scheduler.enqueue(SequenceState(id: s.id, prompt: s.request.prompt))
        } catch {
            // Checked at submit already; kept for the state machine's own guarantees.
            inbox.adjustOutstanding(by: -1)
            g.finish(.error("\(error)"), now: DispatchTime.now().uptimeNanoseconds)
            return
        }
        active[s.id] = g
    }

    private func step() {
        let plan = scheduler.schedule()
        apply(plan)
        guard !plan.isEmpty else {
            publish(batchTokens: 0)
            // Sequences wait for cells that only a cancel or new input can
            // change: sleep until something is posted (the loop takes it).
            if !scheduler.waiting.isEmpty || !scheduler.running.isEmpty { inbox.waitForInput(timeout: 0.05) }
            return
        }

        batch.clear()
        var logitIndex: [(id: UInt64, index: Int32)] = []
        logitIndex.reserveCapacity(plan.entries.count)
        for e in plan.entries {
            guard let seq = scheduler.running.first(where: { $0.id == e.id }) else { continue }
            for pos in e.start..<(e.start + e.count) {
                let i = batch.add(seq.tokens[pos], position: pos, sequence: Int32(e.slot),
                                  wantLogits: e.wantsLogits && pos == e.start + e.count - 1)
                if e.wantsLogits && pos == e.start + e.count - 1 { logitIndex.append((e.id, i)) }
            }
        }
        let rc = context.decode(batch)
        guard rc == 0 else {
            // The scheduler reserved cells for this batch, so llama.cpp refusing
            // it is a real failure: end these sequences, drop their cells.
            for e in plan.entries {
                context.removeTokens(seq: Int32(e.slot), from: 0)
                finish(e.id, .error("llama_decode returned \(rc)"), dropCache: true)
            }
            publish(batchTokens: 0)
            return
        }
        scheduler.completeStep(plan)
        let now = DispatchTime.now().uptimeNanoseconds
        let runningBefore = scheduler.running.count
        for (id, index) in logitIndex {
            guard let g = active[id] else { continue }
            let token: Token
            if g.sampler.hasGrammar {
                let buffer = candidates ?? .allocate(capacity: model.vocabSize)
                candidates = buffer
                token = g.sampler.sampleWellFormed(context, index: index, table: utf8Table, candidates: buffer)
            } else {
                token = g.sampler.sample(context, index: index)
            }
            handle(token, for: g, now: now)
        }
        if scheduler.running.count < runningBefore { trimPrefixCache() }
        publish(batchTokens: plan.tokenCount)
    }

    /// Mirrors the plan's cache decisions in llama.cpp, in the order the
    /// scheduler made them.
    private func apply(_ plan: StepPlan) {
        let now = DispatchTime.now().uptimeNanoseconds
        for a in plan.admissions {
            let slot = Int32(a.choice.slot)
            if let src = a.choice.shareFrom {
                context.removeTokens(seq: slot, from: 0)
                context.shareTokens(from: Int32(src), to: slot, count: a.choice.reused)
            } else {
                context.removeTokens(seq: slot, from: a.choice.reused)
            }
            if let g = active[a.id], g.admitted == nil {
                g.admitted = now
                g.reusedPromptTokens = a.choice.reused
            }
        }
        for slot in plan.evictions { context.removeTokens(seq: Int32(slot), from: 0) }
        for p in plan.preempted { context.removeTokens(seq: Int32(p.slot), from: 0) }
        // Admitted sequences left the waiting queue; preempted ones rejoined it.
        inbox.adjustOutstanding(by: plan.preempted.count - plan.admissions.count)
    }

    private func handle(_ sampled: Token, for g: ActiveGeneration, now: UInt64) {
        if g.firstToken == nil { g.firstToken = now }
        if !g.request.ignoreEOS && model.isEndOfGeneration(sampled) {
            finish(g.id, .endOfGeneration)
            return
        }
        var token = sampled
        if g.output.inReasoning {
            // A spent reasoning budget closes the reasoning: the closing tag
            // replaces the sampled token, in the text and in the context, so
            // the model goes on to answer.
            if g.reasoningBudgetSpent, let close = g.request.output.reasoning.closeTag, let t = markers.byText[close] {
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
            return
        }
        if let max = g.request.maxTokens, g.completionTokens >= max {
            finish(g.id, .length)
            return
        }
        // The sampled token needs a cell next step; a full context ends here.
        if g.request.prompt.count + g.completionTokens >= scheduler.config.cells {
            finish(g.id, .length)
            return
        }
        scheduler.appendSampled(g.id, token)
    }

    private func trimPrefixCache() {
        for slot in scheduler.trimPrefixCache() { context.removeTokens(seq: Int32(slot), from: 0) }
    }

    private func finish(_ id: UInt64, _ reason: FinishReason, dropCache: Bool = false) {
        let wasWaiting = scheduler.waiting.contains { $0.id == id }
        let state = scheduler.remove(id)
        if wasWaiting { inbox.adjustOutstanding(by: -1) }
        if dropCache, let slot = state?.slot { scheduler.dropCache(slot) }
        guard let g = active.removeValue(forKey: id) else { return }
        g.finish(reason, now: DispatchTime.now().uptimeNanoseconds)
    }

    private func publish(batchTokens: Int) {
        if batchTokens > 0 {
            steps += 1
            stepObserver.withLock { $0 }?(batchTokens)
        }
        let s = EngineSnapshot(running: scheduler.running.count, waiting: scheduler.waiting.count,
                               kvCellsUsed: scheduler.kv.usedCells, kvCellsTotal: scheduler.kv.totalCells,
                               lastBatchTokens: batchTokens, steps: steps)
        published.withLock { $0 = s }
    }
}
