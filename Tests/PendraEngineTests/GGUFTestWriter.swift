import Foundation
import XCTest
@testable import PendraEngine

/// Builds GGUF bytes by hand, valid or deliberately broken, for the reader tests.
///
/// Written independently of the reader (it never calls the parser), so a bug in one cannot
/// hide a bug in the other. Everything is little-endian, as the format requires.
struct GGUFTestWriter {
    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32 = GGMLType.f32.rawValue
        /// nil: the next aligned offset after the previous tensor's data.
        var offset: UInt64? = nil
        var byteSize: UInt64 = 0
    }

    private(set) var bytes: [UInt8] = []

    mutating func raw(_ data: [UInt8]) { bytes += data }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }

    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }

    mutating func header(magic: String = "GGUF", version: UInt32 = 3, tensorCount: UInt64, kvCount: UInt64) {
        bytes += Array(magic.utf8)
        u32(version)
        u64(tensorCount)
        u64(kvCount)
    }

    /// Key, type tag, then the value.
    mutating func kv(_ key: String, _ value: GGUFValue) {
        string(key)
        u32(value.valueType.rawValue)
        self.value(value)
    }

    /// The value's body without its type tag. Arrays take their element type from the first
    /// element (uint8 when empty); use `arrayHeader` to write anything else.
    mutating func value(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): u8(v)
        case .int8(let v): u8(UInt8(bitPattern: v))
        case .uint16(let v): withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
        case .int16(let v): withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
        case .uint32(let v): u32(v)
        case .int32(let v): u32(UInt32(bitPattern: v))
        case .uint64(let v): u64(v)
        case .int64(let v): u64(UInt64(bitPattern: v))
        case .float32(let v): u32(v.bitPattern)
        case .float64(let v): u64(v.bitPattern)
        case .bool(let v): u8(v ? 1 : 0)
        case .string(let s): string(s)
        case .array(let items):
            arrayHeader(elementType: items.first?.valueType.rawValue ?? 0, count: UInt64(items.count))
            items.forEach { self.value($0) }
        }
    }

    mutating func arrayHeader(elementType: UInt32, count: UInt64) {
        u32(elementType)
        u64(count)
    }

    mutating func tensorInfo(name: String, dimensions: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dimensions.count))
        dimensions.forEach { u64($0) }
        u32(type)
        u64(offset)
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    /// A complete, valid file: header, metadata, tensor infos, padding and zeroed tensor data.
    static func file(version: UInt32 = 3, metadata: [(String, GGUFValue)], tensors: [Tensor] = [],
                     alignment: Int = 32) -> [UInt8] {
        var w = GGUFTestWriter()
        w.header(version: version, tensorCount: UInt64(tensors.count), kvCount: UInt64(metadata.count))
        metadata.forEach { w.kv($0.0, $0.1) }
        var next: UInt64 = 0
        var placed: [(UInt64, UInt64)] = []
        for tensor in tensors {
            let offset = tensor.offset ?? next
            w.tensorInfo(name: tensor.name, dimensions: tensor.dimensions, type: tensor.type, offset: offset)
            placed.append((offset, tensor.byteSize))
            let end = offset + tensor.byteSize
            next = (end + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        guard !tensors.isEmpty else { return w.bytes }
        w.pad(to: alignment)
        let dataSize = placed.map { $0.0 + $0.1 }.max() ?? 0
        w.raw([UInt8](repeating: 0, count: Int(dataSize)))
        return w.bytes
    }
}

extension XCTestCase {
    /// Writes `bytes` to a fresh temporary file that is removed when the test ends.
    func writeTemporaryGGUF(_ bytes: [UInt8], name: String = "test.gguf") throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("pendra-gguf-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Asserts that reading `bytes` fails with a `GGUFError` accepted by `matches`, and that its
    /// description names the file (the contract every error message keeps).
    func assertReadFails(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                         _ matches: (GGUFError) -> Bool) throws {
        let path = try writeTemporaryGGUF(bytes)
        do {
            let parsed = try GGUFFile.read(path: path)
            XCTFail("expected an error, read \(parsed.tensors.count) tensors and \(parsed.metadata.count) keys", file: file, line: line)
        } catch {
            XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(path + ": "), "description must start with the path: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "description must be one line", file: file, line: line)
        }
    }
}
