import PendraEngine

/// One server-sent event as a dialect writes it: `event:` (Anthropic,
/// Responses) or not (OpenAI chat), and its data line.
struct SSEFrame: Equatable {
    var event: String?
    var data: String

    static let done = SSEFrame(event: nil, data: "[DONE]")

    var bytes: [UInt8] {
        event.map { ServerSentEvents.event($0, data) } ?? ServerSentEvents.data(data)
    }
}

/// A dialect's streaming output: a pure function of the engine's events to
/// frames, with no I/O, clock or randomness of its own (ids and times come
/// in at init), so each dialect's ordering rules are unit-tested on
/// scripted events. `GenerationDriver` runs every encoder the same way.
protocol StreamEncoder {
    /// Frames sent as the stream opens, before the first token.
    mutating func open() -> [SSEFrame]
    /// Frames for one text, reasoning or tool-call event.
    mutating func encode(_ event: GenerationEvent) -> [SSEFrame]
    /// Frames that end a generation that finished.
    mutating func close(_ result: GenerationResult) -> [SSEFrame]
    /// Frames that end a generation that failed after the stream opened.
    mutating func fail(_ failure: GenerationFailure) -> [SSEFrame]
}

/// Why a generation failed, said once for every dialect.
struct GenerationFailure: Equatable {
    enum Kind: Equatable { case timeout, worker }
    var kind: Kind
    var message: String
    /// The request's id, for the dialects' error envelopes.
    var requestId: String
    /// The usage so far (Responses reports it in `response.failed`).
    var usage: Usage

    var apiError: APIError { kind == .timeout ? .timeout(message) : .workerError(message) }
}
