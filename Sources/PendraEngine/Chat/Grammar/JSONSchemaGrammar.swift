/// JSON Schema → GBNF for llama.cpp's grammar sampler: structured output
/// (`response_format: json_schema`) and forced tool calls
/// (`tool_choice: required` / a named tool).
public enum JSONSchemaGrammar {
    /// A grammar whose `root` matches exactly the JSON values the schema
    /// allows (within what GBNF can say: see `SchemaConverter`).
    public static func gbnf(for schema: JSON) throws(JSONSchemaGrammarError) -> String {
        var converter = SchemaConverter()
        _ = try converter.convertDocument(schema, name: "root")
        return converter.rules.text
    }

    /// A grammar that makes the whole reply one tool call in the model's own
    /// format, arguments constrained by that tool's parameters schema.
    /// `forced` is a tool name (tool_choice named) or nil (any of `tools`).
    ///
    /// Exactly one call: a grammar that allowed "one or more" would let a
    /// weak model keep appending calls until max_tokens.
    public static func toolCallGBNF(tools: [ChatTool], format: ToolCallFormat,
                                    forced: String?) throws(JSONSchemaGrammarError) -> String {
        guard !tools.isEmpty else { throw .noTools }
        let chosen = forced.map { name in tools.filter { $0.name == name } } ?? tools
        if let forced, chosen.isEmpty { throw .unknownTool(forced) }
        let (prefix, argumentsKey, suffix): (String, String, String)
        switch format {
        case .hermes: (prefix, argumentsKey, suffix) = ("<tool_call>\n{", "arguments", "}\n</tool_call>")
        case .llama3JSON: (prefix, argumentsKey, suffix) = ("{", "parameters", "}")
        case .mistral: (prefix, argumentsKey, suffix) = ("[TOOL_CALLS][{", "arguments", "}]")
        case .qwenXML: return try xmlToolCallGBNF(chosen)
        case .harmony: return try harmonyToolCallGBNF(chosen)
        case .glm: return try glmToolCallGBNF(chosen)
        case .deepseek(let r1): return try deepseekToolCallGBNF(chosen, r1: r1)
        case .kimiK2: return try kimiToolCallGBNF(chosen)
        case .commandR7B:
            return try wrappedToolCallGBNF(chosen, head: { "<|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": " + JSON.quoted($0) + ", \"parameters\": " },
                                           tail: "}]<|END_ACTION|>")
        case .granite:
            return try wrappedToolCallGBNF(chosen, head: { "<|tool_call|>[{\"name\": " + JSON.quoted($0) + ", \"arguments\": " }, tail: "}]")
        case .functionary:
            return try wrappedToolCallGBNF(chosen, head: { "<function=\($0)>" }, tail: "</function>")
        case .dsml(let block): return try dsmlToolCallGBNF(chosen, block: block)
        case .functionaryV32:
            // The generation prompt ends with `>>>`: the recipient comes first.
            return try wrappedToolCallGBNF(chosen, head: { "\($0)\n" }, tail: "")
        case .minimax:
            return try parameterListGBNF(chosen, open: { "<minimax:tool_call>\n<invoke name=\"\($0)\">\n" },
                                         parameter: { ("<parameter name=\"\($0)\">", "</parameter>\n") },
                                         close: "</invoke>\n</minimax:tool_call>")
        case .none: throw .unsupportedToolFormat
        }

        var converter = SchemaConverter()
        let root = converter.rules.reserve("root")
        var calls: [String] = []
        for tool in chosen {
            // OpenAI lets a tool omit parameters: it then takes no arguments.
            let schema: JSON = tool.parameters == .null ? ["type": "object", "properties": [:]] : tool.parameters
            let arguments = try converter.convertDocument(schema, name: "\(tool.name)-arguments")
            let head = prefix + "\"name\": " + JSON.quoted(tool.name) + ", \"" + argumentsKey + "\": "
            let call = converter.rules.reserve("\(tool.name)-call")
            converter.rules.define(call, "\(GBNFRules.literal(head)) \(arguments) \(GBNFRules.literal(suffix))")
            calls.append(call)
        }
        converter.rules.define(root, calls.joined(separator: " | "))
        return converter.rules.text
    }
}
