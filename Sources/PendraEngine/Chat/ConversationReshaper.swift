import Foundation

/// Reshapes a conversation that a chat template refuses into one it can
/// express, in documented steps (README, "Conversations a template cannot
/// express"). Clients send shapes many templates were never written for:
/// Claude Code's system reminders after the first user turn, Codex's
/// developer messages and back-to-back user turns, parallel tool calls.
/// A template that raises on them would fail the request, and many more
/// silently drop a developer message or a second system message; instead
/// the conversation is rendered again, each level adding one rule to those
/// before it, until the template accepts it with every instruction in it.
///
/// A conversation the template renders whole as sent is never touched, so
/// its prompt stays byte for byte what it was. No rule changes a message
/// because of what follows it, except that merging appends the next
/// message's text to a turn, so a conversation that grows at the end keeps
/// its reshaped prompt up to the end of its last turn: the next turn still
/// hits the prefix cache.
public enum ConversationReshaper {
    /// How far a conversation is reshaped; each level includes those below it.
    public enum Level: Int, CaseIterable, Sendable, Comparable {
        /// As the client sent it.
        case asSent
        /// `developer` messages become `system` messages.
        case developerAsSystem
        /// A system message after the first non-system one becomes a user turn.
        case lateSystemAsUser
        /// Consecutive messages of one role (tool results apart) become one.
        case mergedTurns
        /// One tool call per assistant turn, each followed by its result; user
        /// text right after tool results joins the last result; call ids of
        /// nine letters and digits (Mistral's rule).
        case strictToolTurns
        /// Tool results become user turns and tool calls assistant text, in
        /// Hermes tags (what Pendra parses from a template without a format).
        case toolsAsText
        /// The system prompt opens the first user turn.
        case systemInFirstUser

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// Renders the conversation as sent; when that throws, or renders
    /// without a system or developer text (many templates silently skip a
    /// role they do not know, or every system message but one), renders it
    /// reshaped at each stronger level in turn, skipping a level that changes
    /// nothing, and returns the first rendering that keeps every such text.
    /// When none keeps them all, the first that rendered is returned; when
    /// none renders, the error of the conversation as sent is thrown: that
    /// is the template's own complaint about what the client sent.
    public static func firstRendering<E: Error>(
        of messages: [ChatMessage], render: ([ChatMessage]) throws(E) -> String
    ) throws(E) -> (text: String, level: Level, messages: [ChatMessage]) {
        var firstError: E?
        var fallback: (text: String, level: Level, messages: [ChatMessage])?
        var tried: [ChatMessage]?
        for level in Level.allCases {
            let shaped = level == .asSent ? messages : reshape(messages, to: level)
            if shaped == tried { continue }
            tried = shaped
            do {
                let text = try render(shaped)
                if keepsInstructions(of: messages, in: text) { return (text, level, shaped) }
                if fallback == nil { fallback = (text, level, shaped) }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let fallback { return fallback }
        // The as-sent attempt always runs; it threw, or fallback would be set.
        guard let firstError else { preconditionFailure("no rendering and no error") }
        throw firstError
    }

    /// Whether every system and developer text (trimmed) appears in the
    /// rendered prompt, byte for byte (as Python's `in` compares code points,
    /// not canonical equivalents). Only instructions are checked: templates
    /// legitimately rewrite assistant turns (reasoning, calls) and may quote
    /// tool output.
    static func keepsInstructions(of messages: [ChatMessage], in text: String) -> Bool {
        messages.allSatisfy { m in
            guard m.role == "system" || m.role == "developer" else { return true }
            let t = m.content.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty || text.utf8.firstRange(of: t.utf8) != nil
        }
    }

    /// The conversation with every rule up to `level` applied. Merging runs
    /// last, so what the other rules turn into user turns joins its neighbours.
    public static func reshape(_ messages: [ChatMessage], to level: Level) -> [ChatMessage] {
        var out = messages
        if level >= .developerAsSystem { out = developerAsSystem(out) }
        if level >= .lateSystemAsUser { out = lateSystemAsUser(out) }
        if level >= .strictToolTurns { out = shortToolCallIDs(foldTextIntoToolResults(splitParallelCalls(out))) }
        if level >= .toolsAsText { out = toolsAsText(out) }
        if level >= .systemInFirstUser { out = systemInFirstUser(out) }
        if level >= .mergedTurns { out = mergeTurns(out) }
        return out
    }

    /// Two texts as one, a blank line between them (neither side when empty).
    static func join(_ a: String, _ b: String) -> String {
        a.isEmpty || b.isEmpty ? a + b : a + "\n\n" + b
    }
}
