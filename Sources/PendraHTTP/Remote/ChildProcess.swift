import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `pendra serve --child-model ID` process: spawned with a pipe on its
/// stdin that only this process holds open (the child exits when it reads
/// end-of-file, so it never outlives the parent, however the parent dies,
/// and never keeps an rpc-server busy: rpc-server serves one client at a
/// time), its port read from the line it prints once its model is loaded.
final class ChildProcess: @unchecked Sendable {
    struct Launch: Sendable {
        var executable: String
        var arguments: [String]
        var environment: [String: String]
    }

    private let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let lock = NSLock()
    private var port: Int?
    private var portWaiters: [(Int?) -> Void] = []
    private var exited = false

    var pid: Int32 { process.processIdentifier }

    /// Starts the child; `onExit` runs once, with how it ended, when it does.
    init(_ launch: Launch, onExit: @escaping @Sendable (_ pid: Int32, _ how: String) -> Void) throws {
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.environment = launch.environment
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError
        process.terminationHandler = { [weak self] p in
            self?.finish(port: nil)
            onExit(p.processIdentifier, Self.describe(p))
        }
        try process.run()
        try? stdoutPipe.fileHandleForWriting.close()
        try? stdinPipe.fileHandleForReading.close()
        let out = stdoutPipe.fileHandleForReading
        let reader = Thread { [weak self] in self?.readStdout(out) }
        reader.name = "pendra-child-stdout"
        reader.start()
    }

    /// Waits (blocking) until the child says where it listens; nil if it
    /// exited first or took longer than `timeout`.
    func waitForPort(timeout: Double) -> Int? {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        lock.withLock {
            if port != nil || exited { box.value = port; done.signal() } else {
                portWaiters.append { box.value = $0; done.signal() }
            }
        }
        if done.wait(timeout: .now() + timeout) == .timedOut { return nil }
        return box.value
    }

    /// How it ended, once it has ("exited with status 1", "was killed by signal 6 (...)").
    var exitDescription: String? { process.isRunning ? nil : Self.describe(process) }

    private static func describe(_ p: Process) -> String {
        guard p.terminationReason == .uncaughtSignal else { return "exited with status \(p.terminationStatus)" }
        let abort = p.terminationStatus == SIGABRT ? " (SIGABRT: llama.cpp aborted, as ggml's RPC client does when an rpc-server fails)" : ""
        return "was killed by signal \(p.terminationStatus)\(abort)"
    }

    /// SIGTERM (the child drains like any server), SIGKILL after `grace` s.
    func stop(grace: Double) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private func readStdout(_ handle: FileHandle) {
        var line: [UInt8] = []
        let prefix = "pendra listening on http://"
        while true {
            let data = handle.availableData
            if data.isEmpty { break }
            for byte in data {
                guard byte == 10 else { line.append(byte); continue }
                let text = String(decoding: line, as: UTF8.self)
                line = []
                if text.hasPrefix(prefix), let colon = text.lastIndex(of: ":"),
                   let p = Int(text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)) {
                    finish(port: p)
                } else if !text.isEmpty {
                    Log.info("child \(pid): \(text)")
                }
            }
        }
        finish(port: nil)
    }

    private func finish(port p: Int?) {
        let waiters = lock.withLock { () -> [(Int?) -> Void] in
            if p != nil { port = p } else { exited = true }
            defer { portWaiters = [] }
            return portWaiters
        }
        for w in waiters { w(p) }
    }

    private final class ResultBox: @unchecked Sendable { var value: Int? }
}
