/// The control tokens that output parsers must see as text.
///
/// Tokens are detokenized without special-token text, so that EOS, turn
/// markers and padding never leak into replies. But some control tokens are
/// the syntax of a tool call or of reasoning (Mistral's `[TOOL_CALLS]`,
/// Llama's `<|python_tag|>`, Magistral's `[THINK]`): hidden, those calls come
/// back as content. This set, found once per model by tokenizing each known
/// marker, lists exactly the tokens rendered with their text.
public struct MarkerTokens: Sendable {
    public static let markers = [
        "[TOOL_CALLS]", "[ARGS]", "[CALL_ID]", "<|python_tag|>", "[THINK]", "[/THINK]",
        "<think>", "</think>", "<tool_call>", "</tool_call>",
    ]

    /// gpt-oss's message framing, shown only for harmony templates (other
    /// vocabularies use `<|end|>` and `<|start|>` as plain turn markers).
    public static let harmonyMarkers = ["<|channel|>", "<|message|>", "<|start|>", "<|end|>", "<|constrain|>"]

    public let visible: Set<Token>
    /// Single tokens of each marker text present in this vocabulary.
    public let byText: [String: Token]

    public init(model: LlamaModel, chatTemplate: String? = nil) {
        var byText: [String: Token] = [:]
        let harmony = ReasoningFormat.detect(chatTemplate: chatTemplate) == .harmony
        for m in Self.markers + (harmony ? Self.harmonyMarkers : []) {
            let t = model.tokenize(m, addSpecial: false, parseSpecial: true)
            if t.count == 1 && !model.isEndOfGeneration(t[0]) { byText[m] = t[0] }
        }
        self.byText = byText
        visible = Set(byText.values)
    }

    public func contains(_ token: Token) -> Bool { visible.contains(token) }
}
