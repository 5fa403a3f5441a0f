import Foundation
import PendraEngine

/// `pendra inspect FILE [--context N] [--parallel N] [--cache-type-k T] [--cache-type-v T] [--swa-full]`:
/// the KV cache a context of that size would take, from the header alone.
struct InspectOptions {
    struct ParseError: Error { let message: String }

    var context: Int?
    var parallel = 1
    var typeK = KVCacheType.f16
    var typeV = KVCacheType.f16
    var swaFull = false

    static func parse<S: Sequence<String>>(_ args: S) throws(ParseError) -> InspectOptions {
        var o = InspectOptions()
        var it = args.makeIterator()
        func value(_ flag: String) throws(ParseError) -> String {
            guard let v = it.next() else { throw ParseError(message: "\(flag) needs a value") }
            return v
        }
        func count(_ flag: String) throws(ParseError) -> Int {
            let v = try value(flag)
            guard let n = Int(v), n > 0 else { throw ParseError(message: "\(flag) must be a positive integer, not \(v)") }
            return n
        }
        func type(_ flag: String) throws(ParseError) -> KVCacheType {
            let v = try value(flag)
            guard let t = KVCacheType(rawValue: v.lowercased()) else {
                throw ParseError(message: "\(flag) \(v) is unknown (use \(KVCacheType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return t
        }
        while let a = it.next() {
            switch a {
            case "--context": o.context = try count(a)
            case "--parallel": o.parallel = try count(a)
            case "--cache-type-k": o.typeK = try type(a)
            case "--cache-type-v": o.typeV = try type(a)
            case "--swa-full": o.swaFull = true
            default: throw ParseError(message: "inspect: unknown option \(a)")
            }
        }
        return o
    }

    /// "kv cache ..." for the file's trained context (at most 8192, as served) or --context.
    func kvLine(_ f: GGUFFile) -> String? {
        let ctx = context ?? min(f.contextLength ?? 4096, 8192)
        guard let kv = f.kvCacheEstimate(context: ctx, parallel: parallel, typeK: typeK, typeV: typeV, swaFull: swaFull) else {
            return nil
        }
        func mib(_ b: UInt64) -> String { String(format: "%.1f MiB", Double(b) / 1_048_576) }
        var parts = ["full attention \(mib(kv.fullAttentionBytes))"]
        if kv.slidingWindowBytes > 0 { parts.append("sliding window \(mib(kv.slidingWindowBytes))") }
        if kv.recurrentBytes > 0 { parts.append("recurrent state \(mib(kv.recurrentBytes))") }
        return "kv cache        \(mib(kv.total)) at context \(ctx), parallel \(parallel), K \(typeK.rawValue) / V \(typeV.rawValue): "
            + parts.joined(separator: ", ")
    }
}
