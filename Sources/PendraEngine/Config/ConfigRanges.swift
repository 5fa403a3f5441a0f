import Foundation

/// The allowed range of every numeric config field, checked on the raw JSON
/// before any field is converted (so `max_body_mb: 1e15` is named as such,
/// not wrapped by the shift into bytes). One line per problem, naming the
/// field. Add a row here for each new numeric field.
enum ConfigRanges {
    struct Range {
        let lo: Double
        let hi: Double
        /// `lo` itself is refused: timeouts of 0 s would fail every request.
        var aboveLo = false
        var unit = ""
    }

    static let server: [String: Range] = [
        "requests_per_minute": Range(lo: 0, hi: 1e9),
        "tokens_per_minute": Range(lo: 0, hi: 1e12),
        "memory_budget_mb": Range(lo: 0, hi: 1_073_741_824),
        "keep_alive_seconds": Range(lo: 0, hi: 1e7, aboveLo: true, unit: " seconds"),
        "max_waiting": Range(lo: 1, hi: 1e6),
        "chat_timeout_seconds": Range(lo: 0, hi: 86_400, aboveLo: true, unit: " seconds"),
        "embedding_timeout_seconds": Range(lo: 0, hi: 86_400, aboveLo: true, unit: " seconds"),
        "load_timeout_seconds": Range(lo: 0, hi: 86_400, aboveLo: true, unit: " seconds"),
        "max_body_mb": Range(lo: 1, hi: 4096),
        "max_header_kb": Range(lo: 1, hi: 1024),
        "header_timeout_seconds": Range(lo: 0, hi: 3600, aboveLo: true, unit: " seconds"),
        "idle_timeout_seconds": Range(lo: 0, hi: 86_400, aboveLo: true, unit: " seconds"),
        "body_timeout_seconds": Range(lo: 0, hi: 86_400, aboveLo: true, unit: " seconds"),
        "max_connections": Range(lo: 1, hi: 1e6),
        "max_buffered_mb": Range(lo: 1, hi: 1_048_576),
        "drain_seconds": Range(lo: 0, hi: 3600, unit: " seconds"),
        "drain_notice_seconds": Range(lo: 0, hi: 600, unit: " seconds"),
        "child_retry_limit": Range(lo: 0, hi: 1000),
        "child_retry_seconds": Range(lo: 0, hi: 3600, aboveLo: true, unit: " seconds"),
        "child_start_seconds": Range(lo: 0, hi: 86_400, aboveLo: true, unit: " seconds"),
    ]

    static let model: [String: Range] = [
        "context_size": Range(lo: 16, hi: 16_777_216),
        "parallel": Range(lo: 1, hi: 256),
        "batch_size": Range(lo: 1, hi: 1_048_576),
        "gpu_layers": Range(lo: -1, hi: 100_000),
        "threads": Range(lo: 1, hi: 1024),
        "prefix_cache_cells": Range(lo: 0, hi: 16_777_216),
        "target_itl_ms": Range(lo: 0, hi: 60_000),
        "prefix_cache_ram_mb": Range(lo: 0, hi: 1_048_576),
    ]

    /// A model's `defaults` object.
    static let defaults: [String: Range] = [
        "temperature": Range(lo: 0, hi: 2),
        "top_p": Range(lo: 0, hi: 1),
        "top_k": Range(lo: 0, hi: 1_000_000),
        "min_p": Range(lo: 0, hi: 1),
        "repeat_penalty": Range(lo: 0, hi: 10),
        "max_tokens": Range(lo: 1, hi: 16_777_216),
    ]

    /// Checks `root` (the parsed config file); type errors are left to the loader.
    static func check(_ root: JSONObject, file: String) throws(ConfigError) {
        if let server = root["server"]?.object { try check(server, at: "server", ranges: Self.server, file: file) }
        if let models = root["models"]?.array {
            for (i, m) in models.enumerated() {
                guard let m = m.object else { continue }
                try check(m, at: "models[\(i)]", ranges: Self.model, file: file)
                if let d = m["defaults"]?.object { try check(d, at: "models[\(i)].defaults", ranges: Self.defaults, file: file) }
            }
        }
    }

    private static func check(_ object: JSONObject, at: String, ranges: [String: Range], file: String) throws(ConfigError) {
        for key in object.keys.sorted() {
            guard let r = ranges[key], let value = object[key], value.bool == nil, let v = value.double else { continue }
            let low = r.aboveLo ? v <= r.lo : v < r.lo
            guard low || v > r.hi || !v.isFinite else { continue }
            let range = r.aboveLo ? "more than \(format(r.lo)) and at most \(format(r.hi))" : "from \(format(r.lo)) to \(format(r.hi))"
            throw ConfigError(file: file, message: "\(at).\(key) must be \(range)\(r.unit), not \(format(v))")
        }
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e18 ? String(Int(v)) : String(v)
    }
}
