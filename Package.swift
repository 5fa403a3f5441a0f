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
        // A Jinja interpreter for Hugging Face chat templates. Pure Swift.
        .target(name: "PendraJinja", path: "Sources/PendraJinja"),
        // Models, scheduler, KV cache, sampling: typed requests in, event streams out.
        .target(name: "PendraEngine", dependencies: ["CLlama", "PendraJinja"], path: "Sources/PendraEngine"),
        // HTTP/1.1 server and the OpenAI / Anthropic / Pendra API dialects.
        .target(name: "PendraHTTP", dependencies: ["PendraEngine", "CSystem"], path: "Sources/PendraHTTP"),
        .executableTarget(name: "pendra", dependencies: ["PendraHTTP", "PendraEngine"], path: "Sources/pendra"),
        // Fixtures are read through #filePath (jinja2's outputs, made by scripts/jinja_reference.py).
        .testTarget(name: "PendraJinjaTests", dependencies: ["PendraJinja"], path: "Tests/PendraJinjaTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "PendraEngineTests", dependencies: ["PendraEngine"], path: "Tests/PendraEngineTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "PendraHTTPTests", dependencies: ["PendraHTTP"], path: "Tests/PendraHTTPTests"),
    ]
)
