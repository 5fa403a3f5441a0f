import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process log: leveled lines on stderr, one `write(2)` per line so lines
/// from different threads never interleave. llama.cpp's own log is routed
/// here too. Thread-safe; the level and the sink can be changed at any time.
public enum Log {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case error = 0, warn, info, debug

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        /// `error`, `warn`/`warning`, `info`, `debug` (any case), else nil.
        public init?(parsing text: String) {
            switch text.lowercased() {
            case "error": self = .error
            case "warn", "warning": self = .warn
            case "info": self = .info
            case "debug": self = .debug
            default: return nil
            }
        }

        public var label: String {
            switch self {
            case .error: "ERROR"
            case .warn: "WARN"
            case .info: "INFO"
            case .debug: "DEBUG"
            }
        }
    }

    /// Where finished lines go (newline included). Default: stderr.
    public typealias Sink = @Sendable (String) -> Void

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var level: Level = .info
        var sink: Sink = Log.standardError
    }

    private static let state = State()

    /// Lines above this level are dropped. Default `.info`.
    public static var level: Level {
        get { state.lock.withLock { state.level } }
        set { state.lock.withLock { state.level = newValue } }
    }

    /// Replaces the sink (tests capture lines); returns the previous one.
    @discardableResult
    public static func setSink(_ sink: @escaping Sink) -> Sink {
        state.lock.withLock {
            let old = state.sink
            state.sink = sink
            return old
        }
    }

    public static func isEnabled(_ level: Level) -> Bool { level <= self.level }

    /// Writes `message` as one line: `<UTC time> <LEVEL> <message>`.
    /// Trailing newlines are dropped and inner ones escaped, so one call is
    /// always one line.
    public static func write(level: Level, message: String) {
        let sink: Sink? = state.lock.withLock { level <= state.level ? state.sink : nil }
        guard let sink else { return }
        sink(format(level: level, message: message, at: Date()))
    }

    public static func error(_ message: @autoclosure () -> String) { log(.error, message) }
    public static func warn(_ message: @autoclosure () -> String) { log(.warn, message) }
    public static func info(_ message: @autoclosure () -> String) { log(.info, message) }
    public static func debug(_ message: @autoclosure () -> String) { log(.debug, message) }

    private static func log(_ level: Level, _ message: () -> String) {
        if isEnabled(level) { write(level: level, message: message()) }
    }

    static func format(level: Level, message: String, at date: Date) -> String {
        var text = Substring(message)
        while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
        let body = text.contains(where: { $0 == "\n" || $0 == "\r" })
            ? text.replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n")
                .replacingOccurrences(of: "\r", with: "\\r")
            : String(text)
        return "\(timestamp(date)) \(level.label) \(body)\n"
    }

    /// `2026-11-21T23:49:34.123Z`.
    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }

    /// One `write(2)` of the whole line (retried on a partial write).
    public static let standardError: Sink = { line in
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf in
                Glibc.write(2, buf.baseAddress! + offset, buf.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
