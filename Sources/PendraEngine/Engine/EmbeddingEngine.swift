import CLlama
import Foundation

/// Embeddings for one loaded embedding model. Many inputs go into one
/// llama_decode with a sequence id each; llama.cpp pools per sequence as the
/// model says (mean / cls / last) and vectors come back L2-normalised.
///
/// One serial queue owns the context (a Dispatch worker thread, never the
/// Swift cooperative pool), so requests run one batch at a time.
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

    private let context: LlamaContext
    private let batch: LlamaBatch
    private let queue = DispatchQueue(label: "pendra.embeddings", qos: .userInitiated)

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
    }

    /// Tokenizes like the model expects for embeddings (BOS/CLS and SEP/EOS added).
    public func tokenize(_ text: String) -> [Token] {
        model.tokenize(text, addSpecial: true, parseSpecial: false)
    }

    /// Embeds every input; vector `i` belongs to input `i`. Setting `cancel`
    /// stops the work before its next decode (a timed-out request).
    public func embed(_ inputs: [[Token]], cancel: CancellationFlag? = nil) async throws(EngineError) -> [[Float]] {
        for (i, t) in inputs.enumerated() {
            if t.isEmpty { throw .invalidRequest("input \(i) is empty") }
            if t.count > maxInputTokens { throw .inputTooLong(index: i, tokens: t.count, limit: maxInputTokens) }
        }
        let result: Result<[[Float]], EngineError> = await withCheckedContinuation { c in
            queue.async { c.resume(returning: self.run(inputs, cancel: cancel)) }
        }
        return try result.get()
    }

    private func run(_ inputs: [[Token]], cancel: CancellationFlag?) -> Result<[[Float]], EngineError> {
        var out: [[Float]] = []
        out.reserveCapacity(inputs.count)
        var start = 0
        while start < inputs.count {
            if cancel?.isCancelled == true { return .failure(.invalidRequest("embedding cancelled")) }
            // Pack inputs while they fit the batch and the sequence ids.
            var end = start, tokens = 0
            while end < inputs.count && end - start < settings.parallel && tokens + inputs[end].count <= settings.batchSize {
                tokens += inputs[end].count
                end += 1
            }
            batch.clear()
            for (seq, input) in inputs[start..<end].enumerated() {
                for (pos, t) in input.enumerated() {
                    batch.add(t, position: pos, sequence: Int32(seq), wantLogits: true)
                }
            }
            let rc = context.decode(batch)
            defer { context.clearMemory() }
            guard rc == 0 else { return .failure(.backend("llama_decode returned \(rc) for embeddings")) }
            for seq in 0..<(end - start) {
                guard let v = context.sequenceEmbedding(Int32(seq)) else {
                    return .failure(.backend("no pooled embedding for input \(start + seq)"))
                }
                let values = UnsafeBufferPointer(start: v, count: dimensions)
                out.append(isReranker ? Array(values) : Self.normalized(values))
            }
            start = end
        }
        return .success(out)
    }

    static func normalized(_ v: UnsafeBufferPointer<Float>) -> [Float] {
        var sum: Double = 0
        for x in v { sum += Double(x) * Double(x) }
        let norm = sum > 0 ? Float(1 / sum.squareRoot()) : 0
        return v.map { $0 * norm }
    }
}
