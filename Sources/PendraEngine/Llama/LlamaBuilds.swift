import Foundation

/// The other CPU builds of the same pinned llama.cpp a model can run on
/// (config `llama_build`). One process maps one ggml CPU library, so a model
/// on another build is served by a child process (as `isolated` models are)
/// started with that build's libraries first on its LD_LIBRARY_PATH: the
/// binary finds its libraries through RUNPATH, which that variable
/// overrides, and builds of one source share one ABI.
///
/// Why a model would: neither CPU build is faster for every weight type
/// (docs/benchmarks.md, `make bench-cpu-paths`). On the 2-core EPYC here the
/// native build prefilled Q4_0, Q4_K_M and Q8_0 1.1-1.6x faster than the
/// portable x86-64-v3 one, and Q4_1 and F32 slower, and embedded F16 slower.
public enum LlamaBuilds {
    /// The builds `scripts/llama-build.sh` makes: the suffix it gives their
    /// cache folder (`llama.cpp-<version>-cpu[-blas][-native]`) and the
    /// command that builds one.
    public static let builds: [String: (suffix: String, make: String)] = [
        "portable": ("", "make llama"), "native": ("-native", "make llama NATIVE=1"),
        "openblas": ("-blas", "make llama BLAS=1")]

    /// The folder this process mapped libllama from (/proc/self/maps), nil if unknown.
    public static var currentLibraryDirectory: String? {
        // Read to the end: /proc files report a size of 0.
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile(),
              let maps = String(data: data, encoding: .utf8) else { return nil }
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            if URL(fileURLWithPath: path).lastPathComponent.hasPrefix("libllama.so") {
                return URL(fileURLWithPath: path).deletingLastPathComponent().path
            }
        }
        return nil
    }

    /// The library folder of build `name` beside `current` (a build's
    /// `.../llama.cpp-<version>-<backend><suffixes>/lib`), nil when `current`
    /// is not named that way or is not a CPU build.
    public static func directory(of name: String, besides current: String) -> String? {
        guard let suffix = builds[name]?.suffix else { return nil }
        let lib = URL(fileURLWithPath: current)
        guard lib.lastPathComponent == "lib" else { return nil }
        var prefix = lib.deletingLastPathComponent().lastPathComponent
        guard prefix.hasPrefix("llama.cpp-") else { return nil }
        for s in ["-native", "-blas"] where prefix.hasSuffix(s) { prefix.removeLast(s.count) }
        guard prefix.hasSuffix("-cpu") else { return nil }
        return lib.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(prefix + suffix).appendingPathComponent("lib").path
    }

    /// Whether `directory` holds a llama.cpp build's libraries.
    public static func holdsLibraries(_ directory: String) -> Bool {
        ["libllama.so.0", "libggml.so.0", "libggml-base.so.0"].allSatisfy {
            FileManager.default.fileExists(atPath: directory + "/" + $0)
        }
    }

    /// Resolves a config's `llama_build` (a build name, or an absolute
    /// library folder) to the folder a child should load, nil when that is
    /// the build this process runs on. The problem says what is missing and
    /// how to build it.
    public static func resolve(_ value: String, current: String?) -> Result<String?, Problem> {
        var folder = value
        if builds[value] != nil {
            guard let current else { return .failure(Problem("the running build's library folder is unknown, so \"\(value)\" cannot be found; give the folder's path")) }
            guard let dir = directory(of: value, besides: current) else {
                return .failure(Problem("\"\(value)\" names a CPU build of scripts/llama-build.sh, and this process runs on \(current); give the folder's path"))
            }
            folder = dir
        }
        guard holdsLibraries(folder) else {
            let how = builds[value].map { " (\($0.make) builds it)" } ?? ""
            return .failure(Problem("\(folder) holds no llama.cpp build (libllama.so.0, libggml.so.0, libggml-base.so.0)\(how)"))
        }
        let same = current.map {
            URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        } ?? false
        return .success(same ? nil : folder)
    }

    /// Why a `llama_build` cannot be used.
    public struct Problem: Error, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }
}
