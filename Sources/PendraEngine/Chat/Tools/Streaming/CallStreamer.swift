/// A tool-call reader that sends calls while they are written, for the
/// formats where that can be done safely (see `OutputParser`): it takes the
/// content text as it comes and gives content and call events.
protocol CallStreamer {
    mutating func feed(_ text: String) -> [GenerationEvent]
    /// The held text and any calls still open, at the end of the reply.
    mutating func finish() -> [GenerationEvent]
}

extension BlockCallStreamer: CallStreamer {}
extension Llama3CallStreamer: CallStreamer {}
extension MistralCallStreamer: CallStreamer {}
