/// Why a request could not be parsed. Each case knows the status the
/// transport answers with and a short text for the JSON `detail` field.
enum HTTPParseError: Error, Equatable, Sendable {
    /// Malformed syntax or framing (400).
    case badRequest(String)
    /// Body larger than the configured limit (413).
    case contentTooLarge
    /// Request line longer than the configured limit (414).
    case uriTooLong
    /// Header section (or trailer section) larger than the limit (431).
    case headerFieldsTooLarge
    /// A transfer coding other than chunked (501).
    case notImplemented(String)
    /// An HTTP version other than 1.0 or 1.1 (505).
    case versionNotSupported(String)

    var status: Int {
        switch self {
        case .badRequest: 400
        case .contentTooLarge: 413
        case .uriTooLong: 414
        case .headerFieldsTooLarge: 431
        case .notImplemented: 501
        case .versionNotSupported: 505
        }
    }

    var detail: String {
        switch self {
        case .badRequest(let why): "Bad request: \(why)"
        case .contentTooLarge: "Request body exceeds the size limit"
        case .uriTooLong: "Request line exceeds the length limit"
        case .headerFieldsTooLarge: "Request header fields exceed the size limit"
        case .notImplemented(let what): "Not implemented: \(what)"
        case .versionNotSupported(let v): "HTTP version not supported: \(v)"
        }
    }
}
