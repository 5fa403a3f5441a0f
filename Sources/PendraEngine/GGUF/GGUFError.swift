import Foundation

/// Everything that can go wrong while reading a GGUF header.
///
/// Every description is one line that names the file and what is wrong, because these
/// messages end up verbatim in server logs and in `/v1/models` error details.
public enum GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing exists at the path.
    case notFound(path: String)
    /// The path exists but cannot be opened or mapped (permissions, a directory, I/O error).
    case unreadable(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case notGGUF(path: String, magic: [UInt8])
    /// A GGUF version this reader does not understand (only 2 and 3 are supported).
    case unsupportedVersion(path: String, version: UInt32)
    /// The file ends before a structure it announced; `offset` is where the read started.
    case truncated(path: String, what: String, offset: UInt64)
    /// The bytes are there but make no sense (absurd counts, unknown types, bad shapes).
    case corrupt(path: String, reason: String)

    public var path: String {
        switch self {
        case .notFound(let path), .unreadable(let path, _), .notGGUF(let path, _),
             .unsupportedVersion(let path, _), .truncated(let path, _, _), .corrupt(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .notGGUF(let path, let magic) where magic.isEmpty:
            return "\(path): not a GGUF file (the file is empty)"
        case .notGGUF(let path, let magic):
            return "\(path): not a GGUF file (magic \(Self.render(magic)), expected \"GGUF\")"
        case .unsupportedVersion(let path, let version):
            // A byte-swapped 2 or 3 means a big-endian file, which llama.cpp on x86/ARM cannot use.
            let swapped = version.byteSwapped
            let hint = (swapped == 2 || swapped == 3) ? " (a big-endian file, which is not supported)" : ""
            return "\(path): unsupported GGUF version \(version)\(hint); only versions 2 and 3 are supported"
        case .truncated(let path, let what, let offset):
            return "\(path): truncated: file ends while reading \(what) at byte offset \(offset)"
        case .corrupt(let path, let reason):
            return "\(path): corrupt GGUF: \(reason)"
        }
    }

    /// Shows the magic as text when printable, else as hex, so "GGML" or "PK.." are recognisable.
    private static func render(_ magic: [UInt8]) -> String {
        if magic.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            return "\"" + String(decoding: magic, as: UTF8.self) + "\""
        }
        return "0x" + magic.map { String(format: "%02x", $0) }.joined()
    }
}
