@testable import PendraEngine

/// What the speculative decoding tests (n-gram and draft model) share.
extension ChatEngine {
    /// A greedy request for one user message, rendered with the model's template.
    func greedyChatRequest(_ content: String, speculative: Bool, maxTokens: Int) throws -> GenerationRequest {
        let text = try template.render(messages: [ChatMessage(role: "user", content: content)], tools: [],
                                       addGenerationPrompt: true)
        var r = GenerationRequest(prompt: model.tokenize(text, addSpecial: false, parseSpecial: true),
                                  sampling: .greedy, maxTokens: maxTokens)
        r.speculative = speculative
        return r
    }

    /// A stream that keeps every step's batch at two or more tokens. On CPU
    /// llama.cpp computes a one-token batch with another matmul kernel than a
    /// larger one (llamafile's sgemm needs n >= 2), so a lone stream's logits
    /// differ in the last bits from the same stream's in any larger batch:
    /// with a neighbour in continuous batching as much as with drafts. The
    /// companion fixes the kernel, so a comparison sees only speculation.
    func companionStream() throws -> GenerationStream {
        var r = GenerationRequest(prompt: model.tokenize("Once upon a time, in a land far away,", addSpecial: true, parseSpecial: false),
                                  sampling: .greedy, maxTokens: 400, ignoreEOS: true)
        r.speculative = false
        return try submit(r)
    }
}
