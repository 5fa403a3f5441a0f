/// Forced tool calls in Qwen3-Coder's XML form: one `<tool_call>` block whose
/// parameters come in the schema's order, required ones always, optional
/// ones maybe. A string value is free text without `<` (so it cannot run
/// into the closing tag); any other value is JSON for its own schema.
extension JSONSchemaGrammar {
    static func xmlToolCallGBNF(_ tools: [ChatTool]) throws(JSONSchemaGrammarError) -> String {
        var converter = SchemaConverter()
        let root = converter.rules.reserve("root")
        let text = converter.rules.reserve("xml-text")
        converter.rules.define(text, "[^<]*")
        var calls: [String] = []
        for tool in tools {
            let required = Set(tool.parameters["required"]?.array?.compactMap(\.string) ?? [])
            var parts: [String] = [GBNFRules.literal("<tool_call>\n<function=\(tool.name)>\n")]
            for (key, schema) in tool.parameters["properties"]?.object ?? JSONObject() {
                let value: String
                if schema["type"]?.string == "string" || schema["type"] == nil {
                    value = text
                } else {
                    value = try converter.convertDocument(schema, name: "\(tool.name)-\(key)")
                }
                let param = "\(GBNFRules.literal("<parameter=\(key)>\n")) \(value) \(GBNFRules.literal("\n</parameter>\n"))"
                parts.append(required.contains(key) ? param : "(\(param))?")
            }
            parts.append(GBNFRules.literal("</function>\n</tool_call>"))
            let call = converter.rules.reserve("\(tool.name)-call")
            converter.rules.define(call, parts.joined(separator: " "))
            calls.append(call)
        }
        converter.rules.define(root, calls.joined(separator: " | "))
        return converter.rules.text
    }
}

/// Forced tool calls in gpt-oss's harmony form: straight to the commentary
/// channel addressed to the function, then its JSON arguments; the model
/// ends the message with `<|call|>`, an end-of-generation token the
/// grammar allows once the arguments are complete. (Special tokens are
/// matched by their text, as with Mistral's `[TOOL_CALLS]`.)
extension JSONSchemaGrammar {
    static func harmonyToolCallGBNF(_ tools: [ChatTool]) throws(JSONSchemaGrammarError) -> String {
        var converter = SchemaConverter()
        let root = converter.rules.reserve("root")
        var calls: [String] = []
        for tool in tools {
            let schema: JSON = tool.parameters == .null ? ["type": "object", "properties": [:]] : tool.parameters
            let arguments = try converter.convertDocument(schema, name: "\(tool.name)-arguments")
            let head = "<|channel|>commentary to=functions.\(tool.name) <|constrain|>json<|message|>"
            let call = converter.rules.reserve("\(tool.name)-call")
            converter.rules.define(call, "\(GBNFRules.literal(head)) \(arguments)")
            calls.append(call)
        }
        converter.rules.define(root, calls.joined(separator: " | "))
        return converter.rules.text
    }
}
