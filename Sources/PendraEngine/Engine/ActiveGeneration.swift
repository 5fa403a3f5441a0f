import Dispatch

/// Engine-thread state of one request beside its scheduler entry: sampler,
/// output filters, event channel, counters and clocks.
final class ActiveGeneration {
    let id: UInt64
    let request: GenerationRequest
    let sampler: SamplerChain
    let continuation: AsyncStream<GenerationEvent>.Continuation
    var utf8 = UTF8Accumulator()
    var stops: StopStringMatcher
    /// Reasoning and tool calls out of the text, per the request's format.
    var output: OutputParser
    var pieceBuffer: [UInt8] = []
    /// Tokens generated inside the reasoning, for its budget.
    var reasoningTokens = 0

    let submitted: UInt64
    var admitted: UInt64?
    var firstToken: UInt64?
    var completionTokens = 0
    var reusedPromptTokens = 0

    init(id: UInt64, request: GenerationRequest, sampler: SamplerChain,
         continuation: AsyncStream<GenerationEvent>.Continuation, submitted: UInt64) {
        self.id = id
        self.request = request
        self.sampler = sampler
        self.continuation = continuation
        self.submitted = submitted
        self.stops = StopStringMatcher(request.stop)
        self.output = OutputParser(request.output)
        pieceBuffer.reserveCapacity(64)
    }

    /// Runs a token's bytes through the UTF-8 and stop-string filters and
    /// sends what is safe. Returns the stop string if one was reached.
    func emit(pieceBytes: [UInt8]) -> String? {
        let text = utf8.append(pieceBytes)
        guard !text.isEmpty else { return nil }
        switch stops.feed(text) {
        case .text(let t):
            send(t)
            return nil
        case .stopped(let t, let stop):
            send(t)
            for e in output.finish() { continuation.yield(e) }
            return stop
        }
    }

    /// Whether the reasoning budget is spent while the model still reasons.
    var reasoningBudgetSpent: Bool {
        guard let budget = request.output.reasoningBudget, output.inReasoning else { return false }
        return reasoningTokens >= budget
    }

    /// The closing tag's token when the budget is spent and it is one token:
    /// the engine writes it instead of sampling, so the model answers.
    func budgetClose(_ markers: MarkerTokens) -> Token? {
        guard reasoningBudgetSpent, let close = request.output.reasoning.budgetClose else { return nil }
        return markers.byText[close]
    }

    private func send(_ text: String) {
        guard !text.isEmpty else { return }
        for e in output.feed(text) { continuation.yield(e) }
    }

    /// Sends the held-back text and the final event.
    func finish(_ reason: FinishReason, now: UInt64) {
        switch reason {
        case .stopSequence, .cancelled, .error:
            break  // nothing after a stop string; nobody listens after a cancel
        default:
            // A character cut by the end stays out rather than becoming U+FFFD
            // mid-word; text held for a possible stop string is real output.
            _ = utf8.flush()
            send(stops.flush())
            for e in output.finish() { continuation.yield(e) }
        }
        var t = Timings()
        let s = Double(submitted)
        t.queued = admitted.map { (Double($0) - s) / 1e9 } ?? 0
        t.timeToFirstToken = firstToken.map { (Double($0) - s) / 1e9 } ?? 0
        t.total = (Double(now) - s) / 1e9
        if let f = firstToken, completionTokens > 1, now > f {
            t.decodeTokensPerSecond = Double(completionTokens - 1) / ((Double(now) - Double(f)) / 1e9)
        }
        let usage = Usage(promptTokens: request.prompt.count, reusedPromptTokens: reusedPromptTokens,
                          completionTokens: completionTokens, reasoningTokens: reasoningTokens)
        continuation.yield(.finished(GenerationResult(reason: reason, usage: usage, timings: t)))
        continuation.finish()
    }
}
