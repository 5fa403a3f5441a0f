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
        "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁sep｜>",
        "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>", "<|tool_call_begin|>",
        "<|tool_call_argument_begin|>", "<|tool_call_end|>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>",
        "<|START_ACTION|>", "<|END_ACTION|>", "<|tool_call|>", "<minimax:tool_call>", "</minimax:tool_call>",
    ]

    /// gpt-oss's message framing, shown only for harmony templates (other
    /// vocabularies use `<|end|>` and `<|start|>` as plain turn markers).
    public static let harmonyMarkers = ["<|channel|>", "<|message|>", "<|start|>", "<|end|>", "<|constrain|>"]

    public let visible: Set<Token>
    /// Single tokens of each marker text present in this vocabulary.
    public let byText: [String: Token]

    public init(model: LlamaModel, chatTemplate: String? = nil) {
        self.init(harmony: ReasoningFormat.detect(chatTemplate: chatTemplate) == .harmony,
                  tokenize: { model.tokenize($0, addSpecial: false, parseSpecial: true) },
                  isEndOfGeneration: model.isEndOfGeneration)
    }

    /// A marker counts when it is one token of the vocabulary that does not
    /// end the generation (those never reach the text).
    init(harmony: Bool, tokenize: (String) -> [Token], isEndOfGeneration: (Token) -> Bool) {
        var byText: [String: Token] = [:]
        for m in Self.markers + (harmony ? Self.harmonyMarkers : []) {
            let t = tokenize(m)
            if t.count == 1 && !isEndOfGeneration(t[0]) { byText[m] = t[0] }
        }
        self.byText = byText
        visible = Set(byText.values)
    }

    public func contains(_ token: Token) -> Bool { visible.contains(token) }
}
