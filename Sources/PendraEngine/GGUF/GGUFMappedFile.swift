#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps a file read-only for the duration of one closure.
///
/// mmap rather than read(): a model file can be tens of gigabytes and we only touch the
/// header pages, which the kernel faults in on demand. The mapping never outlives the call.
enum GGUFMappedFile {
    static func withBytes<R>(path: String, _ body: (UnsafeRawBufferPointer, UInt64) throws(GGUFError) -> R) throws(GGUFError) -> R {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .notFound(path: path) }
            throw .unreadable(path: path, reason: errorText(code))
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: errorText(errno)) }
        // open(2) succeeds on a directory; mmap would then fail with a confusing ENODEV.
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let kind = (info.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "is not a regular file"
            throw .unreadable(path: path, reason: kind)
        }
        let size = Int(info.st_size)
        // mmap of zero bytes is EINVAL; an empty file is simply one that ends at byte 0.
        if size == 0 {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0), 0)
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              base != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .unreadable(path: path, reason: "mmap: " + errorText(errno))
        }
        defer { munmap(base, size) }
        return try body(UnsafeRawBufferPointer(start: base, count: size), UInt64(size))
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
