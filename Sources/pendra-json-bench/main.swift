import Foundation
import Glibc
import PendraJSON

// Times JSON.parse on a Claude Code-shaped Messages body (or a file given as
// the first argument) against the path Pendra used before PendraJSON:
// JSONSerialization, then JSON(foundation:) with its sorted keys.
// Build and run in release: `make bench-json`. Prints figures; asserts nothing.
// Both wall time and this thread's CPU time are shown: on a shared, loaded
// machine the CPU time is the steadier figure.

var args = CommandLine.arguments.dropFirst()
// --parse-only: nothing but JSON.parse, for a profiler (perf record).
let parseOnly = args.first == "--parse-only"
if parseOnly { args = args.dropFirst() }
let body: [UInt8]
if let path = args.first {
    guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
    body = Array(data)
} else {
    var generator = ClaudeCodeBody()
    body = generator.make(bytes: 1 << 20)
}
let rounds = parseOnly ? 400 : 50

func cpuNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

func measure(_ name: String, _ work: () throws -> Void) rethrows {
    try work()  // warm-up
    var wall: [Double] = [], cpu: [Double] = []
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds, startCPU = cpuNanoseconds()
        try work()
        cpu.append(Double(cpuNanoseconds() - startCPU) / 1e6)
        wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    wall.sort()
    cpu.sort()
    print(name.padding(toLength: 44, withPad: " ", startingAt: 0)
          + String(format: "CPU median %7.2f ms min %7.2f ms | wall median %7.2f ms min %7.2f ms",
                   cpu[cpu.count / 2], cpu[0], wall[wall.count / 2], wall[0]))
}

let parsed = try JSON.parse(body)
let messages = parsed["messages"]?.array?.count ?? 0
print(String(format: "body: %.2f MB (%d bytes), %d messages, %d rounds each", Double(body.count) / 1_048_576,
             body.count, messages, rounds))
try measure("JSON.parse (PendraJSON)") { _ = try JSON.parse(body) }
if parseOnly { exit(0) }
let data = Data(body)
try measure("JSONSerialization + JSON(foundation:) (old)") {
    _ = JSON(foundation: try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
}
try measure("JSONSerialization alone") { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }
measure("JSON.serialized (writer)") { _ = parsed.serialized }
