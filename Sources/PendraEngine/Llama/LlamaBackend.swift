import CLlama
import Foundation

/// Severity of a log line, shared by llama.cpp's log and Pendra's own.
public enum LogLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case debug = 0, info, warn, error

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        switch self { case .debug: "debug"; case .info: "info"; case .warn: "warn"; case .error: "error" }
    }
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }
}

/// Process-wide llama.cpp setup: `llama_backend_init` exactly once, and
/// llama.cpp's log routed into the server's log at a chosen level.
public enum LlamaBackend {
    public typealias LogSink = @Sendable (LogLevel, String) -> Void

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var initialized = false
        var minimum: LogLevel = .warn
        var sink: LogSink = { level, message in
            FileHandle.standardError.write(Data("[llama.cpp] \(level): \(message)\n".utf8))
        }
        /// llama.cpp logs a line in pieces (GGML_LOG_LEVEL_CONT); gather them.
        var partial = ""
        var partialLevel: LogLevel = .info
        /// Buffer sizes logged while a `measuringBuffers` call runs.
        var buffers: LlamaBufferSizes?
    }
    private static let state = State()

    /// Initializes the backend once; later calls only update the log settings.
    public static func initialize(logLevel: LogLevel = .warn, sink: LogSink? = nil) {
        state.lock.lock()
        state.minimum = logLevel
        if let sink { state.sink = sink }
        let first = !state.initialized
        state.initialized = true
        state.lock.unlock()
        guard first else { return }
        llama_log_set({ level, text, _ in
            guard let text else { return }
            LlamaBackend.receive(level: level, text: String(cString: text))
        }, nil)
        llama_backend_init()
    }

    /// Runs `body` (a model or context load) and returns the buffers llama.cpp
    /// reported allocating meanwhile, whatever the log level shown.
    public static func measuringBuffers<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (T, LlamaBufferSizes) {
        state.lock.withLock { state.buffers = LlamaBufferSizes() }
        defer { state.lock.withLock { state.buffers = nil } }
        let result = try body()
        return (result, state.lock.withLock { state.buffers ?? LlamaBufferSizes() })
    }

    /// Initializes the backend if nothing did yet, leaving the log settings
    /// as they are (a model load must not undo `--llama-log-level`).
    public static func ensureInitialized() {
        let done = state.lock.withLock { state.initialized }
        if !done { initialize(logLevel: state.lock.withLock { state.minimum }) }
    }

    /// Whether a GPU (or other offload) backend was compiled in.
    public static var supportsGPUOffload: Bool { llama_supports_gpu_offload() }

    /// Whether a GPU device is present (offload support alone is also true
    /// for the RPC backend on a CPU build).
    public static var hasGPUDevice: Bool { ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_GPU) != nil }

    public static var systemInfo: String { String(cString: llama_print_system_info()) }

    private static func receive(level: ggml_log_level, text: String) {
        let mapped: LogLevel?
        switch level {
        case GGML_LOG_LEVEL_ERROR: mapped = .error
        case GGML_LOG_LEVEL_WARN: mapped = .warn
        case GGML_LOG_LEVEL_INFO: mapped = .info
        case GGML_LOG_LEVEL_DEBUG: mapped = .debug
        default: mapped = nil  // CONT / NONE: continues the previous line
        }
        state.lock.lock()
        if let mapped { state.partialLevel = mapped }
        state.partial += text
        guard state.partial.hasSuffix("\n") else { state.lock.unlock(); return }
        let line = String(state.partial.dropLast())
        let lineLevel = state.partialLevel
        state.partial = ""
        state.buffers?.note(line)
        let emit = lineLevel >= state.minimum && !line.isEmpty
        let sink = state.sink
        state.lock.unlock()
        if emit { sink(lineLevel, line) }
    }
}
