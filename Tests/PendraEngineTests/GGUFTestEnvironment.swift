import Foundation
import XCTest

/// Where the reference files live and how to ask gguf-py about them.
///
/// The reference tests compare our reader with gguf-py's `GGUFReader`, the reader shipped
/// with llama.cpp. A missing Python or numpy is a failure with a clear message, never a skip:
/// a test that silently passes without its reference checks nothing.
enum GGUFTestEnvironment {
    static let fallbackLlamaSource = "/root/.cache/pendra/src/llama-cpp-python-0.3.36/vendor/llama.cpp"

    /// `PENDRA_LLAMA_SRC` (set by the Makefile) or the pinned cache path.
    static var llamaSource: String {
        ProcessInfo.processInfo.environment["PENDRA_LLAMA_SRC"].flatMap { $0.isEmpty ? nil : $0 } ?? fallbackLlamaSource
    }

    /// `PENDRA_MODELS_DIR`, else `models/` in the package root found from this file's path
    /// (symlinks resolved, so it also works from a scratch package that links this file).
    static var modelsDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["PENDRA_MODELS_DIR"], !dir.isEmpty { return dir }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models").path
    }

    enum Failure: Error, CustomStringConvertible {
        case pythonMissing(String)
        case scriptFailed(status: Int32, stderr: String)
        case badOutput(String)

        var description: String {
            switch self {
            case .pythonMissing(let why):
                return "python3 is required for the gguf-py reference tests and could not be started: \(why)"
            case .scriptFailed(let status, let stderr):
                return "the gguf-py reference script exited with \(status) (is numpy installed? `pip install numpy`): \(stderr)"
            case .badOutput(let why):
                return "the gguf-py reference script printed unexpected output: \(why)"
            }
        }
    }

    /// Runs `script` with `python3`, gguf-py on the path and `arguments` as `sys.argv[1...]`,
    /// and parses its stdout as one JSON value.
    static func runPython(_ script: String, arguments: [String]) throws -> Any {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = llamaSource + "/gguf-py"
        process.environment = environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { throw Failure.pythonMissing("\(error)") }
        // Read both pipes before waiting: a large JSON reply would otherwise fill the pipe
        // buffer and deadlock the child.
        let errorData = LockedData()
        let errorReader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = String(decoding: errorData.waitForValue(), as: UTF8.self)
        if process.terminationStatus == 127 { throw Failure.pythonMissing(errorText) }
        guard process.terminationStatus == 0 else {
            throw Failure.scriptFailed(status: process.terminationStatus, stderr: String(errorText.suffix(2000)))
        }
        do {
            return try JSONSerialization.jsonObject(with: output, options: [.fragmentsAllowed])
        } catch {
            throw Failure.badOutput("\(error): \(String(decoding: output.prefix(500), as: UTF8.self))")
        }
    }

    /// A one-shot hand-off of stderr bytes from the reader thread.
    private final class LockedData: @unchecked Sendable {
        private let condition = NSCondition()
        private var value: Data?

        func set(_ data: Data) {
            condition.lock()
            value = data
            condition.broadcast()
            condition.unlock()
        }

        func waitForValue() -> Data {
            condition.lock()
            defer { condition.unlock() }
            while value == nil { condition.wait() }
            return value ?? Data()
        }
    }
}
