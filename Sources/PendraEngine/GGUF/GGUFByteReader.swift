/// A bounds-checked little-endian cursor over the mapped bytes of one GGUF file.
///
/// Every read checks the remaining length first and throws `.truncated` naming what it was
/// reading, so no length or count taken from the file can make us read past the mapping.
/// Only valid inside the `GGUFMappedFile.withBytes` closure that provided `bytes`.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes exist. `count` is UInt64 so callers can pass
    /// untrusted lengths straight from the file without converting (and trapping) first.
    func require(_ count: UInt64, for what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= UInt64(remaining) else {
            throw .truncated(path: path, what: what(), offset: UInt64(offset))
        }
    }

    mutating func skip(_ count: Int, for what: @autoclosure () -> String) throws(GGUFError) {
        try require(UInt64(count), for: what())
        offset += count
    }

    mutating func readBytes(_ count: Int, for what: @autoclosure () -> String) throws(GGUFError) -> UnsafeRawBufferPointer {
        try require(UInt64(count), for: what())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, for what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(UInt64(MemoryLayout<T>.size), for: what())
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: raw)
    }

    mutating func readFloat(for what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, for: what()))
    }

    mutating func readDouble(for what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, for: what()))
    }

    /// A uint64 length followed by that many bytes. Invalid UTF-8 is repaired with U+FFFD
    /// rather than rejected: a token list with one bad byte sequence should still list.
    mutating func readString(for what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let length = try read(UInt64.self, for: what())
        guard length <= UInt64(remaining) else {
            throw .truncated(path: path, what: "\(what()) (\(length) bytes announced)", offset: UInt64(start))
        }
        let body = try readBytes(Int(length), for: what())
        return String(decoding: body, as: UTF8.self)
    }
}
