import CLlama
import Foundation
import Synchronization

/// Embeddings for one loaded embedding model. Many inputs go into one
/// llama_decode with a sequence id each; llama.cpp pools per sequence as the
/// model says (mean / cls / last) and vectors come back L2-normalised.
///
/// One serial queue owns the context (a Dispatch worker thread, never the
/// Swift cooperative pool); requests waiting at the same time are packed
/// into shared decodes.
public final class EmbeddingEngine: @unchecked Sendable {
    public let model: LlamaModel
    public let settings: ContextSettings
    /// Length of each vector.
    public let dimensions: Int
    /// Most tokens one input may have.
    public let maxInputTokens: Int
    /// Pooling type rank (a cross-encoder reranker): each input gives raw
    /// classifier scores, not a vector to normalise.
    public let isReranker: Bool

    /// Tokens packed into one decode when several inputs wait. An encoder
    /// attends across the whole micro-batch (other sequences masked out), so
    /// that part grows with the square of the decode's tokens: on
    /// all-MiniLM-L6-v2 (2 CPU cores, 28-token inputs, 64 per request)
    /// decodes of ~450 tokens embedded 64 inputs in 410-480 ms, ~900 tokens
    /// in 525-570 ms, ~1,800 in 650-900 ms; ~225 tokens (510-560 ms) lose
    /// the wide matrix products instead. For a model wider than 512 the
    /// target is its width, on the reasoning that its matrix products
    /// outweigh attention longer (not measured: no wider embedding model is
    /// here); `batch_size` still bounds it.
    static func decodeTokenTarget(embeddingLength: Int, batchSize: Int) -> Int {
        min(batchSize, max(512, embeddingLength))
    }

    private let decodeTokens: Int
    private let context: LlamaContext
    private let batch: LlamaBatch
    private let queue = DispatchQueue(label: "pendra.embeddings", qos: .userInitiated)
    /// Requests handed over by any thread, taken by the worker on `queue`.
    private let arrivals = Mutex<[Job]>([])
    private let decodes = Mutex(0)

    public init(model: LlamaModel, settings: ContextSettings) throws {
        var s = settings
        s.embeddings = true
        // A non-causal encoder sees a whole input in one micro-batch.
        s.microBatchSize = s.batchSize
        self.model = model
        self.settings = s
        self.context = try LlamaContext(model: model, settings: s)
        guard context.poolingType != LLAMA_POOLING_TYPE_NONE else {
            throw ModelLoadError.invalid(path: model.path,
                reason: "model has no pooling type, so it gives no sentence embeddings")
        }
        self.isReranker = context.poolingType == LLAMA_POOLING_TYPE_RANK
        if isReranker {
            // llama.cpp writes n_cls_out scores per sequence for rank pooling.
            self.dimensions = max(1, Int(llama_model_n_cls_out(model.pointer)))
        } else {
            self.dimensions = Int(llama_model_n_embd_out(model.pointer)) > 0
                ? Int(llama_model_n_embd_out(model.pointer)) : model.embeddingLength
        }
        self.maxInputTokens = min(s.batchSize, min(context.contextSize, model.trainContextLength > 0 ? model.trainContextLength : context.contextSize))
        self.batch = LlamaBatch(capacity: s.batchSize)
        self.decodeTokens = Self.decodeTokenTarget(embeddingLength: model.embeddingLength, batchSize: s.batchSize)
    }

    /// Tokenizes like the model expects for embeddings (BOS/CLS and SEP/EOS added).
    public func tokenize(_ text: String) -> [Token] {
        model.tokenize(text, addSpecial: true, parseSpecial: false)
    }

    /// Embeds every input; vector `i` belongs to input `i`. Setting `cancel`
    /// stops the work before its next decode (a timed-out request).
    /// Requests waiting at the same time share decodes (EmbeddingPacker).
    public func embed(_ inputs: [[Token]], cancel: CancellationFlag? = nil) async throws(EngineError) -> [[Float]] {
        for (i, t) in inputs.enumerated() {
            if t.isEmpty { throw .invalidRequest("input \(i) is empty") }
            if t.count > maxInputTokens { throw .inputTooLong(index: i, tokens: t.count, limit: maxInputTokens) }
        }
        if inputs.isEmpty { return [] }
        let result: Result<[[Float]], EngineError> = await withCheckedContinuation { c in
            let job = Job(inputs: inputs, cancel: cancel) { c.resume(returning: $0) }
            arrivals.withLock { $0.append(job) }
            queue.async { self.drain() }
        }
        return try result.get()
    }

    /// One request's inputs and how far they got. Handed over through
    /// `arrivals`, then touched only on `queue`.
    private final class Job: @unchecked Sendable {
        let inputs: [[Token]]
        let cancel: CancellationFlag?
        let finish: (Result<[[Float]], EngineError>) -> Void
        var vectors: [[Float]]
        var packed = 0
        var done = 0

        init(inputs: [[Token]], cancel: CancellationFlag?, finish: @escaping (Result<[[Float]], EngineError>) -> Void) {
            self.inputs = inputs
            self.cancel = cancel
            self.finish = finish
            self.vectors = Array(repeating: [], count: inputs.count)
        }
    }

    /// Runs every waiting request to its end, taking in the ones that
    /// arrive meanwhile before each decode. A drain scheduled by a request
    /// an earlier drain already finished finds nothing to do.
    private func drain() {
        var active: [Job] = []
        while true {
            active += arrivals.withLock { a in defer { a.removeAll() }; return a }
            active.removeAll { job in
                guard job.cancel?.isCancelled == true else { return false }
                job.finish(.failure(.invalidRequest("embedding cancelled")))
                return true
            }
            guard !active.isEmpty else { return }
            let pending = active.map { j in j.inputs[j.packed..<min(j.inputs.count, j.packed + settings.parallel)].map(\.count) }
            let takes = EmbeddingPacker.takes(pending, sequences: settings.parallel, tokens: decodeTokens)
            batch.clear()
            var seats: [(job: Job, input: Int)] = []
            for (job, take) in zip(active, takes) where take > 0 {
                for i in job.packed..<(job.packed + take) {
                    for (pos, t) in job.inputs[i].enumerated() {
                        batch.add(t, position: pos, sequence: Int32(seats.count), wantLogits: true)
                    }
                    seats.append((job, i))
                }
                job.packed += take
            }
            decodes.withLock { $0 += 1 }
            let rc = context.decode(batch)
            var failed: [ObjectIdentifier: EngineError] = [:]
            if rc != 0 {
                for (job, _) in seats { failed[ObjectIdentifier(job)] = .backend("llama_decode returned \(rc) for embeddings") }
            } else {
                for (seq, seat) in seats.enumerated() {
                    guard let v = context.sequenceEmbedding(Int32(seq)) else {
                        failed[ObjectIdentifier(seat.job)] = .backend("no pooled embedding for input \(seat.input)")
                        continue
                    }
                    let values = UnsafeBufferPointer(start: v, count: dimensions)
                    seat.job.vectors[seat.input] = isReranker ? Array(values) : Self.normalized(values)
                    seat.job.done += 1
                }
            }
            context.clearMemory()
            active.removeAll { job in
                if let e = failed[ObjectIdentifier(job)] {
                    job.finish(.failure(e))
                    return true
                }
                guard job.done == job.inputs.count else { return false }
                job.finish(.success(job.vectors))
                return true
            }
        }
    }

    /// Decodes run since load (tests see requests share them).
    var decodeCount: Int { decodes.withLock { $0 } }

    /// Holds the worker (tests: let requests pile up, then release them
    /// together), once the drain in progress, if any, has returned.
    func suspendWorker() {
        queue.sync {}
        queue.suspend()
    }
    func resumeWorker() { queue.resume() }
    var waitingRequests: Int { arrivals.withLock { $0.count } }

    static func normalized(_ v: UnsafeBufferPointer<Float>) -> [Float] {
        var sum: Double = 0
        for x in v { sum += Double(x) * Double(x) }
        let norm = sum > 0 ? Float(1 / sum.squareRoot()) : 0
        return v.map { $0 * norm }
    }
}
