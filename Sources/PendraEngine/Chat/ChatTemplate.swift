import CLlama
import Foundation
import PendraJinja

public enum ChatTemplateError: Error, Sendable, CustomStringConvertible {
    /// The template called raise_exception (HTTP 400 with its message).
    case raised(String)
    /// The template could not be parsed or rendered.
    case failed(String)

    public var description: String {
        switch self {
        case .raised(let m): m
        case .failed(let m): "chat template error: \(m)"
        }
    }
}

/// A model's chat formatting: its own Jinja template from the GGUF, parsed
/// once, rendered with Hugging Face's context per request. A model without a
/// template falls back to llama.cpp's built-in ChatML.
public final class ChatTemplate: Sendable {
    public let source: String?
    private let template: JinjaTemplate?
    private let bosToken: String
    private let eosToken: String
    /// The template reads `message.thinking` (gpt-oss) for earlier reasoning.
    private let takesThinking: Bool

    public init(source: String?, bosToken: String, eosToken: String) throws(ChatTemplateError) {
        self.source = source
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.takesThinking = source?.contains("message.thinking") ?? false
        if let source {
            do { template = try JinjaTemplate(source) } catch {
                throw .failed("cannot parse the model's chat template: \(error)")
            }
        } else {
            template = nil
        }
    }

    /// Renders the conversation to the prompt text the model was trained on.
    /// `variables` are extra template variables (chat_template_kwargs,
    /// enable_thinking, reasoning_effort); they never replace the ones above.
    /// `now` (read in UTC) fixes the date templates print, for tests.
    public func render(messages: [ChatMessage], tools: [ChatTool], addGenerationPrompt: Bool = true,
                       variables: JSONObject = JSONObject(), now: Date? = nil) throws(ChatTemplateError) -> String {
        guard let template else { return try Self.builtin(messages, addGenerationPrompt: addGenerationPrompt) }
        var context: [String: JinjaValue] = [
            "messages": .array(messages.map { Self.jinjaMessage($0, thinkingKey: takesThinking) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            // Llama 3.x templates print "Today Date: <date_string>" and fall
            // back to "26 Jul 2024" without it; llama.cpp passes today's date,
            // and so does Pendra, so the model is told the real date and the
            // prompt is the one llama-server renders.
            "date_string": .string(Strftime.format("%d %b %Y", now ?? Date(), utc: now != nil)),
        ]
        if !tools.isEmpty { context["tools"] = .array(tools.map { JinjaValue($0.openAIShape) }) }
        for (k, v) in variables where context[k] == nil { context[k] = JinjaValue(v) }
        do {
            return try template.render(context, now: now)
        } catch let e as JinjaError {
            if case .raised(let m) = e { throw .raised(m) }
            throw .failed("\(e)")
        } catch {
            throw .failed("\(error)")
        }
    }

    /// HF's message shape: tool-call arguments as objects (templates iterate
    /// them or pass them to tojson), not the JSON text OpenAI sends.
    static func jinjaMessage(_ m: ChatMessage, thinkingKey: Bool = false) -> JinjaValue {
        var o = JinjaObject()
        o["role"] = .string(m.role)
        o["content"] = .string(m.content)
        if !m.toolCalls.isEmpty {
            o["tool_calls"] = .array(m.toolCalls.map { c in
                let args = (try? JSON.parse(c.arguments)) ?? .string(c.arguments)
                var f = JinjaObject()
                f["name"] = .string(c.name)
                f["arguments"] = JinjaValue(args)
                var call = JinjaObject()
                call["id"] = .string(c.id)
                call["type"] = .string("function")
                call["function"] = .object(f)
                return .object(call)
            })
        }
        if let id = m.toolCallID { o["tool_call_id"] = .string(id) }
        if let n = m.name { o["name"] = .string(n) }
        // Qwen3, DeepSeek and GLM templates render this where the reasoning went.
        if let r = m.reasoning, !r.isEmpty {
            o["reasoning_content"] = .string(r)
            if thinkingKey { o["thinking"] = .string(r) }  // gpt-oss's name for it
        }
        return .object(o)
    }

    /// llama.cpp's own formatter (no Jinja): ChatML for models without a template.
    static func builtin(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws(ChatTemplateError) -> String {
        let roles = messages.map { strdup($0.role == "developer" ? "system" : $0.role) }
        let contents = messages.map { strdup($0.content) }
        defer { (roles + contents).forEach { free($0) } }
        var chat = zip(roles, contents).map { llama_chat_message(role: $0, content: $1) }
        var size = messages.reduce(256) { $0 + $1.content.utf8.count * 2 + 64 }
        while true {
            var buf = [CChar](repeating: 0, count: size)
            let n = llama_chat_apply_template("chatml", &chat, chat.count, addGenerationPrompt, &buf, Int32(size))
            if n < 0 { throw .failed("llama_chat_apply_template failed") }
            if Int(n) <= size {
                return String(decoding: buf[..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size = Int(n) + 1
        }
    }
}
