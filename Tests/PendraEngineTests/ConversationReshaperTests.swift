import XCTest
@testable import PendraEngine

/// Each rule on its own, then the escalation, on hand-written conversations.
final class ConversationReshaperTests: XCTestCase {
    typealias R = ConversationReshaper
    struct Refused: Error, Equatable { let message: String }

    func m(_ role: String, _ content: String = "", calls: [ChatToolCall] = [], id: String? = nil) -> ChatMessage {
        ChatMessage(role: role, content: content, toolCalls: calls, toolCallID: id)
    }
    func call(_ id: String, _ name: String = "Bash", _ args: String = "{\"command\":\"ls\"}") -> ChatToolCall {
        ChatToolCall(id: id, name: name, arguments: args)
    }
    func roles(_ ms: [ChatMessage]) -> [String] { ms.map(\.role) }

    // MARK: rules

    func testDeveloperBecomesSystemWhereItStands() {
        let out = R.developerAsSystem([m("developer", "D"), m("user", "U"), m("developer", "E")])
        XCTAssertEqual(roles(out), ["system", "user", "system"])
        XCTAssertEqual(out.map(\.content), ["D", "U", "E"])
    }

    func testOnlyLateSystemMessagesSpeakAsTheUser() {
        let out = R.lateSystemAsUser([m("system", "S1"), m("system", "S2"), m("user", "U"), m("system", "R"), m("assistant", "A")])
        XCTAssertEqual(roles(out), ["system", "system", "user", "user", "assistant"])
        XCTAssertEqual(out[3].content, "R")
    }

    func testMergeJoinsTextsAndCallsButKeepsToolResultsApart() {
        let out = R.mergeTurns([
            m("system", "S1"), m("system", "S2"), m("user", "U1"), m("user", ""), m("user", "U2"),
            m("assistant", "A", calls: [call("1")]), m("assistant", "", calls: [call("2")]),
            m("tool", "r1", id: "1"), m("tool", "r2", id: "2"),
        ])
        XCTAssertEqual(roles(out), ["system", "user", "assistant", "tool", "tool"])
        XCTAssertEqual(out[0].content, "S1\n\nS2")
        XCTAssertEqual(out[1].content, "U1\n\nU2", "an empty text adds no blank line")
        XCTAssertEqual(out[2].toolCalls.map(\.id), ["1", "2"])
        XCTAssertEqual(out[2].content, "A")
    }

    func testParallelCallsSplitEachFollowedByItsResult() {
        let out = R.splitParallelCalls([
            m("user", "U"), m("assistant", "Both.", calls: [call("a"), call("b")]),
            m("tool", "rb", id: "b"), m("tool", "ra", id: "a"), m("tool", "stray", id: "z"), m("user", "Next"),
        ])
        XCTAssertEqual(roles(out), ["user", "assistant", "tool", "assistant", "tool", "tool", "user"])
        XCTAssertEqual(out.map(\.content), ["U", "Both.", "ra", "", "rb", "stray", "Next"])
        XCTAssertEqual(out[1].toolCalls.map(\.id), ["a"])
        XCTAssertEqual(out[3].toolCalls.map(\.id), ["b"])
    }

    func testUserTextAfterToolResultsJoinsTheLastResult() {
        let out = R.foldTextIntoToolResults([
            m("user", "U"), m("assistant", "", calls: [call("1")]), m("tool", "r", id: "1"), m("user", "<reminder>"),
            m("assistant", "A"), m("user", "V"),
        ])
        XCTAssertEqual(roles(out), ["user", "assistant", "tool", "assistant", "user"])
        XCTAssertEqual(out[2].content, "r\n\n<reminder>")
        XCTAssertEqual(out[2].toolCallID, "1")
    }

    func testCallIDsAreNineCharactersNumberedByAppearance() {
        let out = R.shortToolCallIDs([
            m("assistant", "", calls: [call("toolu_01XYZ"), call("call_b")]),
            m("tool", "r", id: "call_b"), m("tool", "r", id: "toolu_01XYZ"), m("tool", "r", id: "unknown"),
        ])
        XCTAssertEqual(out[0].toolCalls.map(\.id), ["call00001", "call00002"])
        XCTAssertEqual(out[1...].map(\.toolCallID), ["call00002", "call00001", "call00003"])
        XCTAssertTrue(out[0].toolCalls.allSatisfy { $0.id.count == 9 && $0.id.allSatisfy { $0.isLetter || $0.isNumber } })
    }

    func testToolTurnsBecomeHermesText() {
        let out = R.toolsAsText([
            m("assistant", "Reading.", calls: [call("1", "Read", "{\"file_path\":\"/a\"}"), call("2", "Bash", "not json")]),
            m("tool", "contents", id: "1"),
        ])
        XCTAssertEqual(roles(out), ["assistant", "user"])
        XCTAssertTrue(out[0].toolCalls.isEmpty)
        XCTAssertEqual(out[0].content, "Reading.\n\n<tool_call>\n{\"name\":\"Read\",\"arguments\":{\"file_path\":\"/a\"}}\n</tool_call>\n"
                       + "<tool_call>\n{\"name\":\"Bash\",\"arguments\":\"not json\"}\n</tool_call>")
        XCTAssertEqual(out[1].content, "<tool_response>\ncontents\n</tool_response>")
        XCTAssertNil(out[1].toolCallID)
    }

    func testSystemOpensTheFirstUserTurn() {
        let out = R.systemInFirstUser([m("system", "S"), m("assistant", "A"), m("user", "U"), m("system", "T")])
        XCTAssertEqual(roles(out), ["assistant", "user"])
        XCTAssertEqual(out[1].content, "S\n\nT\n\nU")
        let alone = R.systemInFirstUser([m("system", "S")])
        XCTAssertEqual(roles(alone), ["user"])
        XCTAssertEqual(alone[0].content, "S")
    }

    // MARK: levels

    func testAConversationTheTemplateTakesIsNeverReshaped() throws {
        let sent = [m("developer", "D"), m("user", "U1"), m("user", "U2"), m("system", "R")]
        var seen: [[ChatMessage]] = []
        let result = try R.firstRendering(of: sent) { (ms) throws(Refused) in
            seen.append(ms)
            return ms.map { "<\($0.role)>\($0.content)" }.joined()
        }
        XCTAssertEqual(result.level, .asSent)
        XCTAssertEqual(seen, [sent])
    }

    /// Like Qwen2.5 and 37 others in the corpus: a role it does not know is skipped without a word.
    func testATemplateThatDropsAnInstructionGetsItReshaped() throws {
        let sent = [m("developer", " Be brief.\n"), m("user", "U")]
        let result = try R.firstRendering(of: sent) { (ms) throws(Refused) in
            ms.filter { $0.role != "developer" }.map { "<\($0.role)>\($0.content)" }.joined()
        }
        XCTAssertEqual(result.level, .developerAsSystem)
        XCTAssertEqual(result.text, "<system> Be brief.\n<user>U")
    }

    func testWhenEveryLevelDropsAnInstructionTheFirstRenderingIsKept() throws {
        let sent = [m("system", "S"), m("user", "U"), m("system", "R")]
        var calls = 0
        let result = try R.firstRendering(of: sent) { (ms) throws(Refused) in
            calls += 1
            return ms.filter { $0.content != "S" && !$0.content.hasPrefix("S\n") }.map(\.content).joined()
        }
        XCTAssertEqual(result.level, .asSent)
        XCTAssertEqual(result.text, "UR")
        XCTAssertEqual(calls, 4, "as sent, late system as user, merged, system in the first user turn")
    }

    func testEscalatesUntilTheTemplateAcceptsAndSkipsLevelsThatChangeNothing() throws {
        // Refuses a system message anywhere but first, as Qwen3.5 does.
        let sent = [m("system", "S"), m("user", "U"), m("system", "R")]
        var calls = 0
        let result = try R.firstRendering(of: sent) { (ms) throws(Refused) in
            calls += 1
            if ms.dropFirst().contains(where: { $0.role == "system" }) { throw Refused(message: "System message must be at the beginning.") }
            return ms.map { "\($0.role):\($0.content)" }.joined(separator: "|")
        }
        XCTAssertEqual(result.level, .lateSystemAsUser, "developerAsSystem changes nothing here and is not tried")
        XCTAssertEqual(result.text, "system:S|user:U|user:R")
        XCTAssertEqual(calls, 2)
    }

    func testThrowsTheTemplatesComplaintAboutWhatWasSent() {
        let sent = [m("user", "U"), m("assistant", "A")]
        var calls = 0
        XCTAssertThrowsError(try R.firstRendering(of: sent) { (ms) throws(Refused) -> String in
            calls += 1
            throw Refused(message: calls == 1 ? "first" : "later")
        }) { XCTAssertEqual($0 as? Refused, Refused(message: "first")) }
        XCTAssertEqual(calls, 1, "nothing to reshape in a plain user/assistant exchange")
    }

    func testMergingRunsAfterTheRulesThatMakeUserTurns() {
        let sent = [m("system", "S"), m("user", "U"), m("assistant", "", calls: [call("1")]), m("tool", "r", id: "1"), m("system", "R")]
        XCTAssertEqual(roles(R.reshape(sent, to: .mergedTurns)), ["system", "user", "assistant", "tool", "user"])
        let text = R.reshape(sent, to: .toolsAsText)
        XCTAssertEqual(roles(text), ["system", "user", "assistant", "user"])
        XCTAssertEqual(text[3].content, "<tool_response>\nr\n\nR\n</tool_response>")
        let folded = R.reshape(sent, to: .systemInFirstUser)
        XCTAssertEqual(roles(folded), ["user", "assistant", "user"])
        XCTAssertEqual(folded[0].content, "S\n\nU")
    }

    /// Claude Code's reminder stays after the turn it followed: the reshaped
    /// first turn is a prefix of the reshaped second at every level, so the
    /// second turn reuses the first one's cached prompt.
    func testAGrowingConversationKeepsItsReshapedPrefix() {
        let turn1 = [m("system", "S"), m("developer", "D"), m("user", "U1"), m("system", "R1"),
                     m("assistant", "", calls: [call("t1"), call("t2")]), m("tool", "r1", id: "t1"), m("tool", "r2", id: "t2"),
                     m("user", "U2"), m("system", "R2")]
        let turn2 = turn1 + [m("assistant", "A", calls: [call("t3")]), m("tool", "r3", id: "t3"), m("system", "R3")]
        for level in R.Level.allCases {
            let a = R.reshape(turn1, to: level), b = R.reshape(turn2, to: level)
            XCTAssertEqual(Array(b.prefix(a.count)), a, "\(level)")
        }
    }
}
