import XCTest
@testable import PendraEngine

/// The grammar text itself, and the errors. Whether llama.cpp accepts these
/// grammars (and which strings they match) is in JSONSchemaGrammarLlamaTests.
final class JSONSchemaGrammarTests: XCTestCase {
    private func rules(_ schema: JSON) throws -> [String: String] {
        let text = try JSONSchemaGrammar.gbnf(for: schema)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.components(separatedBy: " ::= ")
            XCTAssertEqual(parts.count, 2, "not a rule line: \(line)")
            XCTAssertNil(out[parts[0]], "rule \(parts[0]) defined twice")
            out[parts[0]] = parts[1]
        }
        XCTAssertTrue(text.hasPrefix("root ::= "))
        return out
    }

    func testPrimitiveTypesUseOnlyTheRulesTheyNeed() throws {
        let r = try rules(["type": "integer"])
        XCTAssertEqual(r["root"], "integer")
        XCTAssertEqual(Set(r.keys), ["root", "integer", "ws"])
        XCTAssertEqual(try rules(["type": "boolean"])["root"], "boolean")
        XCTAssertEqual(try rules(["type": "null"])["root"], "null")
        XCTAssertEqual(try rules(["type": "number"])["root"], "number")
    }

    func testWhitespaceIsBounded() throws {
        let ws = try XCTUnwrap(try rules(["type": "string"])["ws"])
        XCTAssertFalse(ws.contains("*") || ws.contains("+"), "unbounded whitespace: \(ws)")
    }

    func testObjectRequiredThenOptionalInSchemaOrder() throws {
        let r = try rules([
            "type": "object",
            "properties": ["a": ["type": "string"], "b": ["type": "integer"], "c": ["type": "boolean"]],
            "required": ["c", "a"],
        ])
        XCTAssertEqual(r["root"], #""{" ws root-a-kv "," ws root-c-kv ("," ws root-b-kv)? "}" ws"#)
        XCTAssertEqual(r["root-a-kv"], #""\"a\"" ws ":" ws root-a"#)
        XCTAssertEqual(r["root-b"], "integer")
    }

    func testObjectWithNothingRequiredMayBeEmpty() throws {
        let r = try rules(["type": "object", "properties": ["x": ["type": "null"], "y": ["type": "null"]]])
        XCTAssertEqual(r["root"], #""{" ws ( root-x-kv ("," ws root-y-kv)? | root-y-kv )? "}" ws"#)
    }

    func testAdditionalPropertiesAndBareObject() throws {
        let open = try rules(["type": "object", "properties": ["k": ["type": "string"]], "required": ["k"],
                              "additionalProperties": ["type": "integer"]])
        XCTAssertEqual(open["root"], #""{" ws root-k-kv ("," ws string ":" ws root-additional)* "}" ws"#)
        XCTAssertEqual(open["root-additional"], "integer")
        XCTAssertEqual(try rules(["type": "object"])["root"], #""{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws"#)
        XCTAssertEqual(try rules(["type": "object", "properties": [:]])["root"], #""{" ws "}" ws"#)
    }

    func testArrayBounds() throws {
        XCTAssertEqual(try rules(["type": "array", "items": ["type": "integer"], "minItems": 1, "maxItems": 3])["root"],
                       #""[" ws root-item ("," ws root-item){0,2} "]" ws"#)
        XCTAssertEqual(try rules(["type": "array", "items": ["type": "integer"]])["root"],
                       #""[" ws (root-item ("," ws root-item)*)? "]" ws"#)
        XCTAssertEqual(try rules(["type": "array", "maxItems": 1])["root"], #""[" ws (value)? "]" ws"#)
        XCTAssertEqual(try rules(["type": "array", "maxItems": 0])["root"], #""[" ws "]" ws"#)
        XCTAssertEqual(try rules(["type": "array", "minItems": 3])["root"], #""[" ws value ("," ws value){2,} "]" ws"#)
    }

    func testHugeBoundsCannotBlowUpTheGrammar() throws {
        XCTAssertEqual(try rules(["type": "string", "maxLength": 1_000_000_000])["root"], "string")
        XCTAssertEqual(try rules(["type": "array", "minItems": 2, "maxItems": 1_000_000_000])["root"],
                       #""[" ws value ("," ws value)+ "]" ws"#)
        XCTAssertThrowsError(try JSONSchemaGrammar.gbnf(for: ["type": "string", "minLength": 5000])) {
            guard case .invalidKeyword(_, "minLength", _)? = $0 as? JSONSchemaGrammarError else {
                return XCTFail("\($0)")
            }
        }
    }

    func testStringKeywordsEnumConstAndTypeArrays() throws {
        XCTAssertEqual(try rules(["type": "string", "minLength": 2, "maxLength": 5])["root"], #""\"" char{2,5} "\"" ws"#)
        XCTAssertEqual(try rules(["enum": ["a\"b", 1, nil, true, ["x": 1]]])["root"],
                       #"("\"a\\\"b\"" | "1" | "null" | "true" | "{\"x\":1}") ws"#)
        XCTAssertEqual(try rules(["const": "on"])["root"], #""\"on\"" ws"#)
        let nullable = try rules(["type": ["string", "null"]])
        XCTAssertEqual(nullable["root"], "root-0 | root-1")
        XCTAssertEqual(nullable["root-0"], "string")
        XCTAssertEqual(nullable["root-1"], "null")
    }

    func testAnyOfAndRefs() throws {
        let r = try rules([
            "$defs": ["Point": ["type": "object", "properties": ["x": ["type": "number"]], "required": ["x"]]],
            "anyOf": [["$ref": "#/$defs/Point"], ["type": "string"]],
        ])
        XCTAssertEqual(r["root"], "root-0 | root-1")
        XCTAssertEqual(r["root-0"], "ref-Point")
        XCTAssertEqual(r["ref-Point"], #""{" ws ref-Point-x-kv "}" ws"#)
    }

    func testRecursiveRefBecomesRecursiveRule() throws {
        let r = try rules([
            "definitions": ["Node": ["type": "object", "properties": [
                "children": ["type": "array", "items": ["$ref": "#/definitions/Node"]]]]],
            "$ref": "#/definitions/Node",
        ])
        XCTAssertEqual(r["root"], "ref-Node")
        XCTAssertEqual(r["ref-Node-children-item"], "ref-Node")
    }

    func testPropertyNamesNeverClashWithPrimitiveRules() throws {
        let r = try rules(["type": "object", "properties": ["string": ["type": "string"]], "required": ["string"]])
        XCTAssertEqual(r["string"], #""\"" char* "\"" ws"#)
        XCTAssertEqual(r["root-string"], "string")
    }

    func testInvalidSchemasThrowTypedErrors() {
        let cases: [(JSON, JSONSchemaGrammarError)] = [
            ("object", .notASchema(path: "#", found: "a string")),
            (["type": "integr"], .unknownType(path: "#", type: "integr")),
            (["type": 5], .unknownType(path: "#", type: "5")),
            (["type": "object", "properties": ["a": ["type": "strin"]]], .unknownType(path: "#/properties/a", type: "strin")),
            (["$ref": "#/$defs/Missing"], .unresolvableRef(path: "#", ref: "#/$defs/Missing")),
            (["$ref": "https://example.com/s.json"], .unresolvableRef(path: "#", ref: "https://example.com/s.json")),
            (["$defs": ["A": ["$ref": "#/$defs/B"], "B": ["$ref": "#/$defs/A"]], "$ref": "#/$defs/A"], .refCycle(ref: "#/$defs/A")),
            (["type": "object", "required": "a"], .invalidKeyword(path: "#", keyword: "required", reason: "must be an array of strings")),
            (["type": "array", "minItems": 3, "maxItems": 1], .invalidKeyword(path: "#", keyword: "maxItems", reason: "is less than minItems")),
            (["type": "string", "maxLength": -1], .invalidKeyword(path: "#", keyword: "maxLength", reason: "must be a non-negative integer")),
            (["enum": []], .invalidKeyword(path: "#", keyword: "enum", reason: "must be a non-empty array")),
            (false, .unsatisfiable(path: "#")),
        ]
        for (schema, expected) in cases {
            XCTAssertThrowsError(try JSONSchemaGrammar.gbnf(for: schema), "\(schema.serialized)") { error in
                XCTAssertEqual(error as? JSONSchemaGrammarError, expected)
            }
        }
        XCTAssertTrue(JSONSchemaGrammarError.unknownType(path: "#/properties/a", type: "strin").description
            .contains("#/properties/a"))
    }

    func testToolCallGrammarShapes() throws {
        let weather = ToolFixtures.weather
        let hermes = try JSONSchemaGrammar.toolCallGBNF(tools: [weather], format: .hermes, forced: nil)
        XCTAssertTrue(hermes.hasPrefix("root ::= get-weather-call\n"), hermes)
        XCTAssertTrue(hermes.contains(#"get-weather-call ::= "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": " get-weather-arguments "}\n</tool_call>""#), hermes)
        let llama = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .llama3JSON, forced: nil)
        XCTAssertTrue(llama.hasPrefix("root ::= get-weather-call | get-time-call\n"), llama)
        XCTAssertTrue(llama.contains(#""{\"name\": \"get_time\", \"parameters\": " get-time-arguments "}""#), llama)
        let mistral = try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .mistral, forced: "get_time")
        XCTAssertTrue(mistral.hasPrefix("root ::= get-time-call\n"), mistral)
        XCTAssertFalse(mistral.contains("get_weather"))
        XCTAssertTrue(mistral.contains(#""[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": ""#), mistral)
    }

    func testToolCallGrammarErrors() {
        XCTAssertThrowsError(try JSONSchemaGrammar.toolCallGBNF(tools: [], format: .hermes, forced: nil)) {
            XCTAssertEqual($0 as? JSONSchemaGrammarError, .noTools)
        }
        XCTAssertThrowsError(try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .hermes, forced: "nope")) {
            XCTAssertEqual($0 as? JSONSchemaGrammarError, .unknownTool("nope"))
        }
        XCTAssertThrowsError(try JSONSchemaGrammar.toolCallGBNF(tools: ToolFixtures.all, format: .none, forced: nil)) {
            XCTAssertEqual($0 as? JSONSchemaGrammarError, .unsupportedToolFormat)
        }
        let bad = ChatTool(name: "bad", description: nil, parameters: ["type": "objekt"])
        XCTAssertThrowsError(try JSONSchemaGrammar.toolCallGBNF(tools: [bad], format: .hermes, forced: nil)) {
            XCTAssertEqual($0 as? JSONSchemaGrammarError, .unknownType(path: "#", type: "objekt"))
        }
    }
}
