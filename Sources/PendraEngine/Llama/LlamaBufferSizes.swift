import Foundation

/// llama.cpp's own account of the memory a load took: while a model and its
/// context are created it logs one "<backend> <kind> buffer size = N MiB"
/// line per buffer it allocates (weights, KV or recurrent state, compute,
/// output). Loads run one at a time, so the lines seen while one runs are its.
public struct LlamaBufferSizes: Sendable, Equatable {
    public var weights: UInt64 = 0
    public var cache: UInt64 = 0
    public var compute: UInt64 = 0
    public var total: UInt64 { weights + cache + compute }

    public init() {}

    /// Adds one log line's buffer, if it is one.
    mutating func note(_ line: String) {
        guard let eq = line.range(of: " buffer size = ") else { return }
        let rest = line[eq.upperBound...].trimmingCharacters(in: .whitespaces)
        guard let mib = Double(rest.prefix { $0.isNumber || $0 == "." }), rest.contains("MiB") else { return }
        let bytes = UInt64(mib * 1_048_576)
        let what = line[..<eq.lowerBound]
        if what.hasSuffix("model") || what.hasSuffix("REPACK") { weights += bytes }
        else if what.hasSuffix("KV") || what.hasSuffix("RS") || what.hasSuffix("state") { cache += bytes }
        else { compute += bytes }  // compute, output
    }
}
