/// How a model writes tool calls in its output text. Decided once per model
/// from its chat template, because the template is where the model was
/// taught (or is told) the shape of a call.
public enum ToolCallFormat: Sendable, Equatable {
    /// Hermes / Qwen 2.5 / Qwen 3: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`.
    case hermes
    /// Llama 3.1–3.3: the whole reply is `{"name": ..., "parameters": {...}}`,
    /// maybe after `<|python_tag|>`, several joined by `;`.
    case llama3JSON
    /// Mistral: `[TOOL_CALLS][{"name": ..., "arguments": {...}}]`, or the
    /// newer `[TOOL_CALLS]name[ARGS]{...}`.
    case mistral
    /// Qwen3-Coder / Qwen 3.5: `<tool_call>\n<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>\n</function>\n</tool_call>`.
    case qwenXML
    /// gpt-oss harmony: `<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{...}<|call|>`.
    case harmony
    /// DeepSeek R1 / V3.1: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{...}<｜tool▁call▁end｜>…`
    /// (R1 writes `function<｜tool▁sep｜>NAME\n```json\n{...}\n```` instead).
    case deepseek(r1: Bool)
    /// DeepSeek V3.2 / V4 "DSML": `<｜DSML｜function_calls>` (V4: `tool_calls`)
    /// holding `<｜DSML｜invoke name="X">` with `<｜DSML｜parameter name="k" string="true|false">v</｜DSML｜parameter>`.
    case dsml(block: String)
    /// Kimi-K2: `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{...}<|tool_call_end|>…`.
    case kimiK2
    /// GLM-4.5 / 4.6 / 4.7: `<tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>\n</tool_call>`.
    case glm
    /// Command R7B: `<|START_ACTION|>[{"tool_call_id", "tool_name", "parameters"}, …]<|END_ACTION|>`.
    case commandR7B
    /// Granite 3.x: `<|tool_call|>[{"name", "arguments"}, …]`.
    case granite
    /// Functionary v3.1: `<function=NAME>{...}</function>`, repeated.
    case functionary
    /// Functionary v3.2: the generation prompt ends with `>>>`; the model
    /// writes `all\n` + text, or `NAME\n{...}`, more messages after `>>>`.
    case functionaryV32
    /// MiniMax-M2: `<minimax:tool_call><invoke name="X"><parameter name="k">v</parameter></invoke></minimax:tool_call>`.
    case minimax
    /// No format we can parse: the output is always plain text.
    case none

    /// Markers were checked against every template in llama.cpp's
    /// `models/templates/`. Order matters: Hermes-2-Pro mentions `"parameters"`
    /// too, so `<tool_call>` is tested before the Llama 3 markers.
    public static func detect(chatTemplate: String?) -> ToolCallFormat {
        guard let t = chatTemplate, !t.isEmpty else { return .none }
        if t.contains("<|channel|>") && t.contains("<|message|>") && t.contains("functions.") { return .harmony }
        if t.contains("[TOOL_CALLS]") { return .mistral }
        if t.contains("tool▁calls▁begin") && t.contains("tool▁sep") { return .deepseek(r1: t.contains("```json")) }
        if t.contains("｜DSML｜") && t.contains("invoke name=") {
            return .dsml(block: t.contains("tool_calls>") ? "tool_calls" : "function_calls")
        }
        if t.contains(">>>all") && t.contains("recipient") { return .functionaryV32 }
        if t.contains("<|tool_calls_section_begin|>") { return .kimiK2 }
        if t.contains("<|START_ACTION|>") { return .commandR7B }
        if t.contains("<|tool_call|>") { return .granite }
        if t.contains("<minimax:tool_call>") && t.contains("<invoke name=") { return .minimax }
        if t.contains("<tool_call>") && t.contains("<arg_key>") { return .glm }
        if t.contains("<tool_call>") && t.contains("<function=") && t.contains("<parameter=") { return .qwenXML }
        if t.contains("<tool_call>") {
            // Qwen3-Coder, Qwen 3.5, GLM, MiniMax-M3 and others also use
            // <tool_call>, but with XML (`<function=...>`, `<arg_key>`) inside.
            // Only templates that show a JSON object with a "name" key are
            // Hermes; claiming the rest would make us hold back text we then
            // cannot parse.
            return mentionsJSONName(t) ? .hermes : .none
        }
        // Llama 3.x: "Environment: ipython" / <|python_tag|> plus the
        // `{"name": ..., "parameters": ...}` instruction. Functionary also says
        // ipython but uses `<function=...>`; Cohere says "parameters" alone.
        if t.contains("<function=") && t.contains("</function>") && !t.contains("<parameter=") { return .functionary }
        let ipython = t.contains("ipython") || t.contains("<|python_tag|>")
        if ipython && t.contains("\"parameters\"") { return .llama3JSON }
        return .none
    }

    /// `{"name"` as written in the template source, which may be inside a
    /// Jinja string literal where the quote is escaped (`{\"name\"`).
    private static func mentionsJSONName(_ t: String) -> Bool {
        t.contains("{\"name\"") || t.contains("{\\\"name\\\"") || t.contains("\"name\":")
            || t.contains("\\\"name\\\":")
    }
}
