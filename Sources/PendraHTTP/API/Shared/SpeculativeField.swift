import PendraEngine

/// `speculative`, Pendra's own field on every chat dialect (chat completions,
/// Responses, Messages): `false` keeps this request off the draft model, for a
/// client that measures plain decoding; absent means on (the server's
/// speculation settings still decide whether there is a draft at all).
enum SpeculativeField {
    static func parse(_ body: RequestBody, into chat: inout ChatRequest) throws(APIError) {
        chat.speculative = try body.bool("speculative") ?? true
    }
}
