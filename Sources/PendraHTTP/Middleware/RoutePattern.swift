import Foundation

/// A route path such as `/v1/models/{id}/load`: literal segments, `{name}`
/// captures of one segment, and an optional last `{name...}` capturing the
/// rest of the path (model ids like `org/model` that a client did not
/// percent-encode). Captured values are percent-decoded.
public struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
        case rest(String)
    }

    public let description: String
    let segments: [Segment]

    public init(_ pattern: String) {
        let normalized = RoutePattern.normalize(pattern)
        description = normalized
        let parts = RoutePattern.split(normalized)
        segments = parts.enumerated().map { i, part in
            guard part.hasPrefix("{"), part.hasSuffix("}"), part.count > 2 else { return .literal(part) }
            let name = String(part.dropFirst().dropLast())
            if name.hasSuffix("..."), i == parts.count - 1 { return .rest(String(name.dropLast(3))) }
            return .capture(name)
        }
    }

    /// The path without query string and without trailing slashes (`/` stays `/`).
    public static func normalize(_ path: String) -> String {
        var p = Substring(path)
        if let q = p.firstIndex(of: "?") { p = p[..<q] }
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        return p.isEmpty ? "/" : String(p)
    }

    static func split(_ normalizedPath: String) -> [String] {
        normalizedPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            .filter { !$0.isEmpty || normalizedPath != "/" }
    }

    /// The captured parameters if `path` matches, else nil.
    public func match(_ path: String) -> [String: String]? {
        let parts = RoutePattern.split(RoutePattern.normalize(path))
        var params: [String: String] = [:]
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .literal(let text):
                guard i < parts.count, parts[i] == text else { return nil }
            case .capture(let name):
                guard i < parts.count, !parts[i].isEmpty else { return nil }
                params[name] = parts[i].removingPercentEncoding ?? parts[i]
            case .rest(let name):
                guard i < parts.count else { return nil }
                let rest = parts[i...].joined(separator: "/")
                guard !rest.isEmpty else { return nil }
                params[name] = rest.removingPercentEncoding ?? rest
                return params
            }
        }
        return parts.count == segments.count ? params : nil
    }

    /// Ranks segments literal > capture > rest, so `/v1/models/loaded` beats
    /// `/v1/models/{id}` whatever the registration order.
    var specificity: [Int] {
        segments.map { segment in
            switch segment {
            case .literal: 2
            case .capture: 1
            case .rest: 0
            }
        }
    }
}
