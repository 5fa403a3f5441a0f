/// Reshapes a conversation that a chat template refuses into one it can
/// express, in documented steps (README, "Conversations a template cannot
/// express"). Clients send shapes many templates were never written for:
/// Claude Code's system reminders after the first user turn, Codex's
/// developer messages and back-to-back user turns, parallel tool calls.
/// A template that raises on them would fail the request; instead the
/// conversation is rendered again, each level adding one rule to those
/// before it, until the template accepts it.
///
/// A conversation the template takes as sent is never touched, so its
/// prompt stays byte for byte what it was. No rule changes a message
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

    /// Renders the conversation as sent; when that throws, renders it
    /// reshaped at each stronger level in turn (skipping a level that
    /// changes nothing) and returns the first rendering that succeeds. When
    /// none does, throws the error of the conversation as sent: that is the
    /// template's own complaint about what the client sent.
    public static func firstRendering<E: Error>(
        of messages: [ChatMessage], render: ([ChatMessage]) throws(E) -> String
    ) throws(E) -> (text: String, level: Level) {
        let original: E
        do { return (try render(messages), .asSent) } catch { original = error }
        var tried = messages
        for level in Level.allCases.dropFirst() {
            let shaped = reshape(messages, to: level)
            if shaped == tried { continue }
            tried = shaped
            if let text = try? render(shaped) { return (text, level) }
        }
        throw original
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
