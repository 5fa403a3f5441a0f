/// Turns one generation's text into typed events, in the engine: reasoning
/// first split from content, then tool calls taken out of the content in the
/// model's own format. Built once per request from its `OutputSpec`.
struct OutputParser {
    private var splitter: ReasoningSplitter
    private var tools: ToolCallStreamFilter?
    /// Formats whose calls are sent as they are written (or block by block).
    private var streamer: (any CallStreamer)?
    /// gpt-oss: channels carry reasoning, content and calls alike.
    private var harmony: HarmonyParser?

    init(_ spec: OutputSpec, parser: ToolCallParser = ToolCallParser()) {
        splitter = ReasoningSplitter(format: spec.reasoning, startsInReasoning: spec.startsInReasoning)
        if spec.reasoning == .harmony || spec.toolFormat == .harmony {
            harmony = HarmonyParser(tools: spec.tools, parser: parser)
        } else if let format = spec.toolFormat, !spec.tools.isEmpty {
            if BlockCallStreamer.handles(format) {
                streamer = BlockCallStreamer(format: format, tools: spec.tools, parser: parser)
            } else if format == .llama3JSON {
                streamer = Llama3CallStreamer(tools: spec.tools, parser: parser)
            } else if format == .mistral {
                streamer = MistralCallStreamer(tools: spec.tools, parser: parser)
            } else {
                tools = ToolCallStreamFilter(format: format, tools: spec.tools, parser: parser)
            }
        }
    }

    var inReasoning: Bool { harmony?.inReasoning ?? splitter.inReasoning }

    mutating func feed(_ text: String) -> [GenerationEvent] {
        if harmony != nil { return harmony!.feed(text) }
        return route(splitter.feed(text))
    }

    /// Held text and the tool calls, in that order; a call that does not
    /// parse stays text (never an error).
    mutating func finish() -> [GenerationEvent] {
        if harmony != nil { return harmony!.finish() }
        var out = route(splitter.finish())
        if streamer != nil { return out + streamer!.finish() }
        guard tools != nil else { return out }
        let (content, calls) = tools!.finish()
        if !content.isEmpty { out.append(.text(content)) }
        for (i, c) in calls.enumerated() {
            out.append(.toolCall(ToolCallDelta(index: i, id: c.id, name: c.name, arguments: c.arguments)))
        }
        return out
    }

    private mutating func route(_ pieces: [ReasoningSplitter.Piece]) -> [GenerationEvent] {
        var out: [GenerationEvent] = []
        for p in pieces {
            switch p {
            case .reasoning(let r): out.append(.reasoning(r))
            case .content(let c):
                if streamer != nil {
                    out += streamer!.feed(c)
                    continue
                }
                let shown = tools == nil ? c : tools!.feed(c)
                if !shown.isEmpty { out.append(.text(shown)) }
            }
        }
        return out
    }
}
