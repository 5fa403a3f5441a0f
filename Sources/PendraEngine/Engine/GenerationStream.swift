/// The events of one generation. Iterating it consumes them; dropping it
/// (or cancelling the consuming task) cancels the generation and frees its
/// KV cells at the engine's next step.
public struct GenerationStream: AsyncSequence, Sendable {
    public typealias Element = GenerationEvent
    public let id: UInt64
    /// Prompt tokens, known at submit (for usage before the end).
    public let promptTokens: Int
    let events: AsyncStream<GenerationEvent>

    public func makeAsyncIterator() -> AsyncStream<GenerationEvent>.Iterator {
        events.makeAsyncIterator()
    }

    /// Runs the whole generation and returns its text and result.
    public func collect() async -> (text: String, result: GenerationResult) {
        var text = ""
        for await e in events {
            switch e {
            case .text(let t): text += t
            case .reasoning, .toolCall: break
            case .finished(let r): return (text, r)
            }
        }
        return (text, GenerationResult(reason: .cancelled, usage: Usage(), timings: Timings()))
    }
}
