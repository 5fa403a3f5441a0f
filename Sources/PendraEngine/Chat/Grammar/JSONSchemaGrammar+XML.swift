/// Forced tool calls in the formats that are not `{"name", "arguments"}`
/// objects: XML-ish parameter lists (Qwen3-Coder, GLM) and JSON arguments
/// between special-token markers (gpt-oss, DeepSeek, Kimi-K2). Special
/// tokens are matched by their text, as with Mistral's `[TOOL_CALLS]`.
extension JSONSchemaGrammar {
    /// One call block whose parameters come in the schema's order, required
    /// ones always, optional ones maybe. A string value is free text
    /// without `<` (so it cannot run into the closing tag); any other value
    /// is JSON for its own schema.
    static func parameterListGBNF(_ tools: [ChatTool], open: (String) -> String, parameter: (String) -> (String, String),
                                  close: String) throws(JSONSchemaGrammarError) -> String {
        try parameterListGBNF(tools, open: open, typedParameter: { key, _ in parameter(key) }, close: close)
    }

    /// `typedParameter(key, isString)`: the tags around a value, which may
    /// say whether it is text (DSML's `string="true"`).
    static func parameterListGBNF(_ tools: [ChatTool], open: (String) -> String,
                                  typedParameter parameter: (String, Bool) -> (String, String),
                                  close: String) throws(JSONSchemaGrammarError) -> String {
        var converter = SchemaConverter()
        let root = converter.rules.reserve("root")
        let text = converter.rules.reserve("xml-text")
        converter.rules.define(text, "[^<]*")
        var calls: [String] = []
        for tool in tools {
            let required = Set(tool.parameters["required"]?.array?.compactMap(\.string) ?? [])
            var parts: [String] = [GBNFRules.literal(open(tool.name))]
            for (key, schema) in tool.parameters["properties"]?.object ?? JSONObject() {
                let value: String
                let isString = schema["type"]?.string == "string" || schema["type"] == nil
                if isString {
                    value = text
                } else {
                    value = try converter.convertDocument(schema, name: "\(tool.name)-\(key)")
                }
                let (before, after) = parameter(key, isString)
                let param = "\(GBNFRules.literal(before)) \(value) \(GBNFRules.literal(after))"
                parts.append(required.contains(key) ? param : "(\(param))?")
            }
            parts.append(GBNFRules.literal(close))
            let call = converter.rules.reserve("\(tool.name)-call")
            converter.rules.define(call, parts.joined(separator: " "))
            calls.append(call)
        }
        converter.rules.define(root, calls.joined(separator: " | "))
        return converter.rules.text
    }

    static func xmlToolCallGBNF(_ tools: [ChatTool]) throws(JSONSchemaGrammarError) -> String {
        try parameterListGBNF(tools, open: { "<tool_call>\n<function=\($0)>\n" },
                              parameter: { ("<parameter=\($0)>\n", "\n</parameter>\n") }, close: "</function>\n</tool_call>")
    }

    static func glmToolCallGBNF(_ tools: [ChatTool]) throws(JSONSchemaGrammarError) -> String {
        try parameterListGBNF(tools, open: { "<tool_call>\($0)\n" },
                              parameter: { ("<arg_key>\($0)</arg_key>\n<arg_value>", "</arg_value>\n") }, close: "</tool_call>")
    }

    /// `head(name)`, the arguments as JSON for the tool's schema, `tail`.
    static func wrappedToolCallGBNF(_ tools: [ChatTool], head: (String) -> String, tail: String) throws(JSONSchemaGrammarError) -> String {
        var converter = SchemaConverter()
        let root = converter.rules.reserve("root")
        var calls: [String] = []
        for tool in tools {
            let schema: JSON = tool.parameters == .null ? ["type": "object", "properties": [:]] : tool.parameters
            let arguments = try converter.convertDocument(schema, name: "\(tool.name)-arguments")
            let call = converter.rules.reserve("\(tool.name)-call")
            let body = "\(GBNFRules.literal(head(tool.name))) \(arguments)" + (tail.isEmpty ? "" : " \(GBNFRules.literal(tail))")
            converter.rules.define(call, body)
            calls.append(call)
        }
        converter.rules.define(root, calls.joined(separator: " | "))
        return converter.rules.text
    }

    /// gpt-oss: straight to the commentary channel addressed to the function;
    /// the model ends with `<|call|>`, an end-of-generation token the grammar
    /// allows once the arguments are complete.
    static func harmonyToolCallGBNF(_ tools: [ChatTool]) throws(JSONSchemaGrammarError) -> String {
        try wrappedToolCallGBNF(tools, head: { "<|channel|>commentary to=functions.\($0) <|constrain|>json<|message|>" }, tail: "")
    }

    static func deepseekToolCallGBNF(_ tools: [ChatTool], r1: Bool) throws(JSONSchemaGrammarError) -> String {
        let begin = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>"
        let end = "<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
        if r1 {
            return try wrappedToolCallGBNF(tools, head: { begin + "function<｜tool▁sep｜>\($0)\n```json\n" }, tail: "\n```" + end)
        }
        return try wrappedToolCallGBNF(tools, head: { begin + "\($0)<｜tool▁sep｜>" }, tail: end)
    }

    /// DeepSeek V3.2 / V4: one invoke in a DSML block, `string="true"` on text values.
    static func dsmlToolCallGBNF(_ tools: [ChatTool], block: String) throws(JSONSchemaGrammarError) -> String {
        let d = ToolCallParser.dsml
        return try parameterListGBNF(tools, open: { "<\(d)\(block)>\n<\(d)invoke name=\"\($0)\">\n" },
                                     typedParameter: { key, isString in
                                         ("<\(d)parameter name=\"\(key)\" string=\"\(isString)\">", "</\(d)parameter>\n")
                                     },
                                     close: "</\(d)invoke>\n</\(d)\(block)>")
    }

    static func kimiToolCallGBNF(_ tools: [ChatTool]) throws(JSONSchemaGrammarError) -> String {
        try wrappedToolCallGBNF(tools, head: { "<|tool_calls_section_begin|><|tool_call_begin|>functions.\($0):0<|tool_call_argument_begin|>" },
                                tail: "<|tool_call_end|><|tool_calls_section_end|>")
    }
}
