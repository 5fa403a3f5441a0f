import XCTest
@testable import PendraEngine

/// Broken and hostile files: each must throw the right `GGUFError`, never trap or allocate
/// according to an absurd count.
final class GGUFCorruptFileTests: XCTestCase {
    private func isTruncated(_ e: GGUFError) -> Bool { if case .truncated = e { return true }; return false }
    private func isCorrupt(_ e: GGUFError, containing text: String) -> Bool {
        if case .corrupt(_, let reason) = e { return reason.contains(text) }
        return false
    }

    /// A small valid file with one string, one array and one tensor, to cut at every length.
    private var sample: [UInt8] {
        GGUFTestWriter.file(
            metadata: [("general.name", .string("sample")), ("list", .array([.string("a"), .string("bc")]))],
            tensors: [.init(name: "w", dimensions: [4, 2], type: GGMLType.f32.rawValue, byteSize: 32)])
    }

    func testEveryTruncationOfAValidFileThrows() throws {
        let full = sample
        XCTAssertNoThrow(try GGUFFile.read(path: try writeTemporaryGGUF(full)))
        for length in 1..<full.count {
            try assertReadFails(Array(full.prefix(length))) { error in
                if case .truncated = error { return true }
                return false
            }
        }
    }

    func testTruncatedHeaderNamesWhatWasBeingRead() throws {
        var w = GGUFTestWriter()
        w.raw(Array("GGUF".utf8))
        w.u32(3)
        w.raw([1, 0, 0])
        try assertReadFails(w.bytes) { error in
            if case .truncated(_, let what, let offset) = error { return what == "tensor count" && offset == 8 }
            return false
        }
    }

    func testTruncatedInsideStringArrayAndTensorInfo() throws {
        var inString = GGUFTestWriter()
        inString.header(tensorCount: 0, kvCount: 1)
        inString.string("key")
        inString.u32(GGUFValueType.string.rawValue)
        inString.u64(10)
        inString.raw(Array("abc".utf8))
        try assertReadFails(inString.bytes) { error in
            if case .truncated(_, let what, _) = error { return what.contains("'key'") }
            return false
        }

        var inArray = GGUFTestWriter()
        inArray.header(tensorCount: 0, kvCount: 1)
        inArray.string("arr")
        inArray.u32(GGUFValueType.array.rawValue)
        inArray.arrayHeader(elementType: GGUFValueType.uint32.rawValue, count: 3)
        inArray.u32(1)
        inArray.u32(2)
        try assertReadFails(inArray.bytes) { error in
            if case .truncated(_, let what, _) = error { return what.contains("'arr'") }
            return false
        }

        var inTensor = GGUFTestWriter()
        inTensor.header(tensorCount: 1, kvCount: 0)
        inTensor.string("weights")
        inTensor.u32(2)
        inTensor.u64(4)
        inTensor.u64(2)
        inTensor.raw([0, 0])  // half of the type field
        try assertReadFails(inTensor.bytes) { error in
            if case .truncated(_, let what, _) = error { return what.contains("'weights'") }
            return false
        }
    }

    func testAbsurdStringLengthThrowsWithoutAllocating() throws {
        for length in [UInt64(1) << 63, UInt64.max, 1 << 40] {
            var w = GGUFTestWriter()
            w.header(tensorCount: 0, kvCount: 1)
            w.u64(length)
            w.raw(Array("short".utf8))
            try assertReadFails(w.bytes, isTruncated)
        }
    }

    func testAbsurdArrayCountThrowsWithoutAllocating() throws {
        for (type, count) in [(GGUFValueType.uint8, UInt64(1) << 60), (.string, UInt64.max), (.array, 1 << 62)] {
            var w = GGUFTestWriter()
            w.header(tensorCount: 0, kvCount: 1)
            w.string("huge")
            w.u32(GGUFValueType.array.rawValue)
            w.arrayHeader(elementType: type.rawValue, count: count)
            w.raw([UInt8](repeating: 0, count: 64))
            try assertReadFails(w.bytes, isTruncated)
        }
    }

    func testAbsurdAndNegativeCountsInHeader() throws {
        var hugeKV = GGUFTestWriter()
        hugeKV.header(tensorCount: 0, kvCount: 1 << 60)
        try assertReadFails(hugeKV.bytes, isTruncated)
        var hugeTensors = GGUFTestWriter()
        hugeTensors.header(tensorCount: UInt64(Int64.max), kvCount: 0)
        try assertReadFails(hugeTensors.bytes, isTruncated)
        var negative = GGUFTestWriter()
        negative.header(tensorCount: UInt64(bitPattern: -1), kvCount: 0)
        try assertReadFails(negative.bytes) { self.isCorrupt($0, containing: "negative") }
    }

    func testDeeplyNestedArraysAreRefused() throws {
        var w = GGUFTestWriter()
        w.header(tensorCount: 0, kvCount: 1)
        w.string("nest")
        w.u32(GGUFValueType.array.rawValue)
        for _ in 0..<10_000 { w.arrayHeader(elementType: GGUFValueType.array.rawValue, count: 1) }
        try assertReadFails(w.bytes) { self.isCorrupt($0, containing: "nests arrays") }
    }

    func testWrongMagic() throws {
        var w = GGUFTestWriter()
        w.header(magic: "GGML", tensorCount: 0, kvCount: 0)
        try assertReadFails(w.bytes) { error in
            if case .notGGUF(_, let magic) = error { return magic == Array("GGML".utf8) }
            return false
        }
        try assertReadFails([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]) { error in
            error.description.contains("0x504b0304") || error.description.contains("PK")
        }
    }

    func testUnsupportedVersions() throws {
        for version: UInt32 in [0, 1, 4, 0x0300_0000] {
            var w = GGUFTestWriter()
            w.header(version: version, tensorCount: 0, kvCount: 0)
            try assertReadFails(w.bytes) { $0 == .unsupportedVersion(path: $0.path, version: version) }
        }
    }

    func testMoreThanFourDimensions() throws {
        var w = GGUFTestWriter()
        w.header(tensorCount: 1, kvCount: 0)
        w.tensorInfo(name: "t", dimensions: [1, 1, 1, 1, 1], type: 0, offset: 0)
        w.pad(to: 32)
        w.raw([0, 0, 0, 0])
        try assertReadFails(w.bytes) { self.isCorrupt($0, containing: "5 dimensions") }
    }

    func testOverflowingAndNegativeDimensions() throws {
        let shapes: [[UInt64]] = [[1 << 32, 1 << 32], [UInt64(bitPattern: -4)], [UInt64.max, 0]]
        for shape in shapes {
            var w = GGUFTestWriter()
            w.header(tensorCount: 1, kvCount: 0)
            w.tensorInfo(name: "t", dimensions: shape, type: 0, offset: 0)
            w.pad(to: 32)
            try assertReadFails(w.bytes) { self.isCorrupt($0, containing: "tensor 't'") }
        }
    }

    func testRowNotMultipleOfBlockSize() throws {
        let bytes = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "q", dimensions: [33, 2], type: GGMLType.q8_0.rawValue, byteSize: 68)])
        try assertReadFails(bytes) { self.isCorrupt($0, containing: "block size 32") }
    }

    func testUnknownValueType() throws {
        var w = GGUFTestWriter()
        w.header(tensorCount: 0, kvCount: 1)
        w.string("odd")
        w.u32(13)
        w.u64(0)
        try assertReadFails(w.bytes) { self.isCorrupt($0, containing: "unknown value type 13") }
        var inArray = GGUFTestWriter()
        inArray.header(tensorCount: 0, kvCount: 1)
        inArray.string("odd")
        inArray.u32(GGUFValueType.array.rawValue)
        inArray.arrayHeader(elementType: 99, count: 0)
        try assertReadFails(inArray.bytes) { self.isCorrupt($0, containing: "unknown value type 99") }
    }

    func testUnknownGGMLType() throws {
        for type: UInt32 in [4, 31, 43, 0xFFFF_FFFF] {
            let bytes = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "t", dimensions: [32], type: type, byteSize: 32)])
            try assertReadFails(bytes) { self.isCorrupt($0, containing: "unknown ggml type \(type)") }
        }
    }

    func testTensorDataBeyondTheEnd() throws {
        var pastEnd = GGUFTestWriter()
        pastEnd.header(tensorCount: 1, kvCount: 0)
        pastEnd.tensorInfo(name: "far", dimensions: [8], type: 0, offset: 1 << 62)
        pastEnd.pad(to: 32)
        pastEnd.raw([UInt8](repeating: 0, count: 32))
        try assertReadFails(pastEnd.bytes) { self.isCorrupt($0, containing: "beyond the end") }
        var cut = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "cut", dimensions: [8], type: 0, byteSize: 32)])
        cut.removeLast(4)
        try assertReadFails(cut) { error in
            if case .truncated(_, let what, _) = error { return what.contains("'cut'") }
            return false
        }
    }

    func testMisalignedOffsetBadAlignmentAndDuplicates() throws {
        let misaligned = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "t", dimensions: [8], type: 0, offset: 4, byteSize: 32)])
        try assertReadFails(misaligned) { self.isCorrupt($0, containing: "multiple of the alignment") }
        for alignment: GGUFValue in [.uint32(0), .uint32(48), .uint64(32)] {
            try assertReadFails(GGUFTestWriter.file(metadata: [("general.alignment", alignment)])) {
                self.isCorrupt($0, containing: "general.alignment")
            }
        }
        try assertReadFails(GGUFTestWriter.file(metadata: [("k", .uint8(1)), ("k", .uint8(2))])) {
            self.isCorrupt($0, containing: "duplicate metadata key 'k'")
        }
        let twice = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "t", dimensions: [8], byteSize: 32),
                                                                 .init(name: "t", dimensions: [8], byteSize: 32)])
        try assertReadFails(twice) { self.isCorrupt($0, containing: "duplicate tensor name 't'") }
    }

    func testTensorsOutOfOrderOrWithGaps() throws {
        let swapped = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "a", dimensions: [8], offset: 32, byteSize: 32),
                                                                   .init(name: "b", dimensions: [8], offset: 0, byteSize: 32)])
        try assertReadFails(swapped) { self.isCorrupt($0, containing: "tensor 'a' data offset 32 should be 0") }
        let gap = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "a", dimensions: [8], byteSize: 32),
                                                               .init(name: "b", dimensions: [8], offset: 64, byteSize: 32)])
        try assertReadFails(gap) { self.isCorrupt($0, containing: "tensor 'b' data offset 64 should be 32") }
    }

    func testEmptyFile() throws {
        try assertReadFails([]) { error in
            if case .notGGUF(_, let magic) = error { return magic.isEmpty && error.description.contains("empty") }
            return false
        }
    }

    func testNonexistentPathAndDirectory() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/model.gguf"
        XCTAssertThrowsError(try GGUFFile.read(path: missing)) { error in
            XCTAssertEqual(error as? GGUFError, .notFound(path: missing))
            XCTAssertEqual("\(error)", "\(missing): no such file")
        }
        let dir = FileManager.default.temporaryDirectory.path
        XCTAssertThrowsError(try GGUFFile.read(path: dir)) { error in
            guard case .unreadable(let path, let reason)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, dir)
            XCTAssertEqual(reason, "is a directory")
        }
    }
}
