import Foundation
import PendraEngine

/// What Ollama's model endpoints say about one configured model, read from
/// its GGUF header (weights untouched) and the config.
struct OllamaModelFacts {
    let app: PendraApp

    /// `details` as /api/tags, /api/show and /api/ps give it.
    func details(_ m: ModelEntry) -> JSON {
        let info = app.store.info[m.id]
        let family = info?.architecture ?? "unknown"
        var d = JSONObject()
        d["parent_model"] = ""
        d["format"] = "gguf"
        d["family"] = .string(family)
        d["families"] = [.string(family)]
        d["parameter_size"] = .string(info?.parameterSizeLabel ?? "unknown")
        d["quantization_level"] = .string(info?.quantizationName ?? "unknown")
        return .object(d)
    }

    /// The size on disk (0 when the file cannot be read).
    func size(_ m: ModelEntry) -> Int { Int(app.store.info[m.id]?.fileSize ?? 0) }

    func modifiedAt(_ m: ModelEntry) -> String { Self.timestamp(Double(app.createdTime(m.id))) }

    /// One /api/tags entry.
    func tag(_ m: ModelEntry, digest: String?) -> JSON {
        var o = JSONObject()
        o["name"] = .string(m.id)
        o["model"] = .string(m.id)
        o["modified_at"] = .string(modifiedAt(m))
        o["size"] = .int(size(m))
        o["digest"] = .string(digest ?? "")
        o["details"] = details(m)
        return .object(o)
    }

    /// Ollama's capability names, from the config's capability and what the
    /// chat template can do (tools, thinking). No vision: Pendra loads no projector.
    func capabilities(_ m: ModelEntry) -> [String] {
        switch m.capability {
        case .embedding: return ["embedding"]
        case .rerank: return ["rerank"]
        case .chat:
            var caps = ["completion"]
            let template = app.store.info[m.id]?.chatTemplate ?? ""
            if template.contains("tools") { caps.append("tools") }
            if template.contains("<think>") || template.contains("enable_thinking") || template.contains("reasoning_content") {
                caps.append("thinking")
            }
            return caps
        }
    }

    /// GGUF metadata as Ollama's `model_info`: scalars as they are,
    /// `general.parameter_count` added, the chat template left to `template`.
    /// Arrays (token lists, merges) are null as in Ollama's default answer;
    /// `verbose` adds those of at most `verboseArrayLimit` elements (a 128k
    /// vocabulary plus its merges is megabytes that no client needs).
    func modelInfo(_ m: ModelEntry, verbose: Bool) -> JSON {
        guard let info = app.store.info[m.id] else { return .object([:]) }
        var o = JSONObject()
        for key in info.metadataKeys where key != "tokenizer.chat_template" && !key.hasPrefix("pendra.") {
            guard let v = info.metadata[key] else { continue }
            if case .array(let a) = v, !verbose || a.count > Self.verboseArrayLimit { o[key] = .null; continue }
            o[key] = Self.json(v)
        }
        o["general.parameter_count"] = .int(Int(clamping: info.parameterCount))
        return .object(o)
    }

    /// Modelfile-style `parameters`: the context the model is served with
    /// and its end-of-turn token as a stop.
    func parameters(_ m: ModelEntry) -> String {
        var lines = ["num_ctx                        \(app.contextLength(m))"]
        if m.capability == .chat, let eos = app.store.info[m.id]?.eosToken, !eos.isEmpty {
            lines.append("stop                           \(JSON.quoted(eos))")
        }
        return lines.joined(separator: "\n")
    }

    static let verboseArrayLimit = 65_536

    static func json(_ v: GGUFValue) -> JSON {
        switch v {
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .float32(let f): return .double(Double(f))
        case .float64(let d): return .double(d)
        case .array(let a): return .array(a.map(json))
        default: return v.intValue.map { .int($0) } ?? .double(v.doubleValue ?? 0)
        }
    }

    /// RFC 3339 with nanosecond-style fraction, UTC, as Ollama writes times.
    static func timestamp(_ seconds: Double) -> String {
        let whole = floor(seconds)
        var t = time_t(whole)
        var parts = tm()
        gmtime_r(&t, &parts)
        let frac = Int((seconds - whole) * 1e9)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), frac)
    }

    static func now() -> String { timestamp(Date().timeIntervalSince1970) }
}
