// swift-tools-version:6.0
// Pendra: one binary that serves local GGUF models through llama.cpp.
// No Swift package dependencies: llama.cpp is bound through the CLlama
// system-library target, built and located by the Makefile (see README).
import PackageDescription

let package = Package(
    name: "Pendra",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pendra", targets: ["pendra"]),
    ],
    targets: [
        // libllama + ggml, built by scripts/llama-build.sh. Include and library
        // paths and the rpath come from the Makefile's swift build line.
        .systemLibrary(name: "CLlama", path: "Sources/CLlama"),
        // Linux headers Swift's Glibc module lacks (epoll, eventfd).
        .systemLibrary(name: "CSystem", path: "Sources/CSystem"),
        // The one JSON value type, parser and writer: keeps key order and exact integers.
        .target(name: "PendraJSON", path: "Sources/PendraJSON"),
        // A Jinja interpreter for Hugging Face chat templates. Pure Swift.
        .target(name: "PendraJinja", dependencies: ["PendraJSON"], path: "Sources/PendraJinja"),
        // Models, scheduler, KV cache, sampling: typed requests in, event streams out.
        // Re-exports PendraJSON, so `import PendraEngine` brings `JSON` along.
        .target(name: "PendraEngine", dependencies: ["CLlama", "PendraJSON", "PendraJinja"], path: "Sources/PendraEngine"),
        // HTTP/1.1 server and the OpenAI / Anthropic / Pendra API dialects.
        .target(name: "PendraHTTP", dependencies: ["PendraEngine", "CSystem"], path: "Sources/PendraHTTP"),
        .executableTarget(name: "pendra", dependencies: ["PendraHTTP", "PendraEngine"], path: "Sources/pendra"),
        // `make bench-json`: PendraJSON's parser against the old JSONSerialization path.
        .executableTarget(name: "pendra-json-bench", dependencies: ["PendraJSON"], path: "Sources/pendra-json-bench"),
        // Fixtures are read through #filePath (jinja2's outputs, made by scripts/jinja_reference.py).
        .testTarget(name: "PendraJSONTests", dependencies: ["PendraJSON"], path: "Tests/PendraJSONTests"),
        .testTarget(name: "PendraJinjaTests", dependencies: ["PendraJinja"], path: "Tests/PendraJinjaTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "PendraEngineTests", dependencies: ["PendraEngine"], path: "Tests/PendraEngineTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "PendraHTTPTests", dependencies: ["PendraHTTP"], path: "Tests/PendraHTTPTests"),
    ]
)
