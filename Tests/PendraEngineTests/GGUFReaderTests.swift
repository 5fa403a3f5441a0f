import XCTest
@testable import PendraEngine

/// Valid files written by `GGUFTestWriter`: every value type, tensors, alignment and the
/// derived properties the models list uses.
final class GGUFReaderTests: XCTestCase {
    private let everyScalar: [(String, GGUFValue)] = [
        ("t.uint8", .uint8(250)), ("t.int8", .int8(-120)),
        ("t.uint16", .uint16(65_000)), ("t.int16", .int16(-32_000)),
        ("t.uint32", .uint32(4_000_000_000)), ("t.int32", .int32(-2_000_000_000)),
        ("t.uint64", .uint64(UInt64.max)), ("t.int64", .int64(Int64.min)),
        ("t.float32", .float32(3.25)), ("t.float64", .float64(-1e300)),
        ("t.true", .bool(true)), ("t.false", .bool(false)),
        ("t.string", .string("héllo, wörld ✓")), ("t.empty", .string("")),
    ]

    func testRoundTripsEveryValueTypeInFileOrder() throws {
        let arrays: [(String, GGUFValue)] = [
            ("a.strings", .array([.string("a"), .string(""), .string("ß")])),
            ("a.floats", .array([.float32(1.5), .float32(-2)])),
            ("a.int64", .array([.int64(-1), .int64(Int64.max)])),
            ("a.bools", .array([.bool(true), .bool(false)])),
            ("a.nested", .array([.array([.uint16(1), .uint16(2)]), .array([.uint16(3)])])),
            ("a.deep", .array([.array([.array([.string("x")])])])),
            ("a.empty", .array([])),
        ]
        let all = everyScalar + arrays
        for version: UInt32 in [2, 3] {
            let path = try writeTemporaryGGUF(GGUFTestWriter.file(version: version, metadata: all))
            let file = try GGUFFile.read(path: path)
            XCTAssertEqual(file.version, version)
            XCTAssertEqual(file.metadataKeys, all.map(\.0))
            for (key, value) in all {
                XCTAssertEqual(file[key], value, key)
            }
            XCTAssertEqual(file.metadata.count, all.count)
            XCTAssertTrue(file.tensors.isEmpty)
            XCTAssertEqual(file.fileSize, UInt64(try Data(contentsOf: URL(fileURLWithPath: path)).count))
        }
    }

    func testConvenienceAccessors() {
        XCTAssertEqual(GGUFValue.uint8(7).intValue, 7)
        XCTAssertEqual(GGUFValue.int64(-5).intValue, -5)
        XCTAssertNil(GGUFValue.uint64(UInt64.max).intValue)
        XCTAssertNil(GGUFValue.string("7").intValue)
        XCTAssertNil(GGUFValue.float32(1).intValue)
        XCTAssertEqual(GGUFValue.float32(0.5).doubleValue, 0.5)
        XCTAssertEqual(GGUFValue.uint32(10_000).doubleValue, 10_000)
        XCTAssertEqual(GGUFValue.uint64(UInt64.max).doubleValue, Double(UInt64.max))
        XCTAssertNil(GGUFValue.bool(true).doubleValue)
        XCTAssertEqual(GGUFValue.string("s").stringValue, "s")
        XCTAssertNil(GGUFValue.uint8(1).stringValue)
        XCTAssertEqual(GGUFValue.array([.bool(true)]).arrayValue, [.bool(true)])
        XCTAssertNil(GGUFValue.string("x").arrayValue)
    }

    func testTensorInfosAlignmentAndDataOffset() throws {
        let tensors = [
            GGUFTestWriter.Tensor(name: "token_embd.weight", dimensions: [64, 10], type: GGMLType.q8_0.rawValue, byteSize: 10 * 2 * 34),
            GGUFTestWriter.Tensor(name: "output_norm.weight", dimensions: [64], type: GGMLType.f32.rawValue, byteSize: 256),
            GGUFTestWriter.Tensor(name: "blk.0.ffn.weight", dimensions: [256, 2, 3, 1], type: GGMLType.q4_K.rawValue, byteSize: 6 * 144),
        ]
        let bytes = GGUFTestWriter.file(metadata: [("general.alignment", .uint32(64)), ("general.architecture", .string("llama"))],
                                        tensors: tensors, alignment: 64)
        let file = try GGUFFile.read(path: try writeTemporaryGGUF(bytes))
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(file.tensors.map(\.name), tensors.map(\.name))
        XCTAssertEqual(file.tensors.map(\.dimensions), tensors.map(\.dimensions))
        XCTAssertEqual(file.tensors.map(\.type), [.q8_0, .f32, .q4_K])
        XCTAssertEqual(file.tensors.map(\.elementCount), [640, 64, 1536])
        XCTAssertEqual(file.tensors.map(\.byteSize), tensors.map(\.byteSize))
        XCTAssertEqual(file.tensors.map(\.offset), [0, 704, 960])
        XCTAssertEqual(file.parameterCount, 640 + 64 + 1536)
        XCTAssertEqual(file.fileSize, file.dataOffset + 960 + 864)
    }

    func testDefaultAlignmentAndVocabOnlyFileHasNoPadding() throws {
        let vocabOnly = GGUFTestWriter.file(metadata: [("general.architecture", .string("llama"))])
        let file = try GGUFFile.read(path: try writeTemporaryGGUF(vocabOnly))
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.dataOffset, UInt64(vocabOnly.count))
        XCTAssertEqual(file.parameterCount, 0)
    }

    func testDerivedModelProperties() throws {
        let tokens: [GGUFValue] = ["<unk>", "<s>", "</s>", "hello"].map { .string($0) }
        let metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string("qwen2")),
            ("general.name", .string("Tiny Qwen")),
            ("general.license", .string("apache-2.0")),
            ("general.file_type", .uint32(15)),
            ("qwen2.context_length", .uint32(32_768)),
            ("qwen2.embedding_length", .uint64(896)),
            ("qwen2.block_count", .int32(24)),
            ("qwen2.pooling_type", .uint32(1)),
            ("llama.context_length", .uint32(7)),  // another architecture's key must be ignored
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.chat_template", .string("{{ messages }}")),
            ("tokenizer.ggml.tokens", .array(tokens)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
        let file = try GGUFFile.read(path: try writeTemporaryGGUF(GGUFTestWriter.file(metadata: metadata)))
        XCTAssertEqual(file.architecture, "qwen2")
        XCTAssertEqual(file.name, "Tiny Qwen")
        XCTAssertEqual(file.license, "apache-2.0")
        XCTAssertNil(file.sizeLabel)
        XCTAssertEqual(file.fileType, 15)
        XCTAssertEqual(file.quantizationName, "Q4_K_M")
        XCTAssertEqual(file.contextLength, 32_768)
        XCTAssertEqual(file.embeddingLength, 896)
        XCTAssertEqual(file.blockCount, 24)
        XCTAssertEqual(file.poolingType, 1)
        XCTAssertEqual(file.tokenizerModel, "gpt2")
        XCTAssertEqual(file.chatTemplate, "{{ messages }}")
        XCTAssertEqual(file.token(at: 3), "hello")
        XCTAssertNil(file.token(at: 4))
        XCTAssertNil(file.token(at: -1))
        XCTAssertEqual(file.bosToken, "<s>")
        XCTAssertEqual(file.eosToken, "</s>")
    }

    func testAbsentPropertiesAreNil() throws {
        let file = try GGUFFile.read(path: try writeTemporaryGGUF(GGUFTestWriter.file(metadata: [("general.name", .uint8(1))])))
        XCTAssertNil(file.architecture)
        XCTAssertNil(file.name, "a non-string general.name is treated as absent")
        XCTAssertNil(file.contextLength)
        XCTAssertNil(file.chatTemplate)
        XCTAssertNil(file.tokenizerModel)
        XCTAssertNil(file.token(at: 0))
        XCTAssertNil(file.bosToken)
        XCTAssertNil(file.eosToken)
        XCTAssertNil(file.fileType)
        XCTAssertEqual(file.quantizationName, "unknown")
        XCTAssertEqual(file.parameterSizeLabel, "0")
    }

    func testInvalidUTF8IsRepairedNotRejected() throws {
        var w = GGUFTestWriter()
        w.header(tensorCount: 0, kvCount: 1)
        w.string("bad")
        w.u32(GGUFValueType.string.rawValue)
        w.u64(3)
        w.raw([0x61, 0xff, 0x62])
        let file = try GGUFFile.read(path: try writeTemporaryGGUF(w.bytes))
        XCTAssertEqual(file["bad"], .string("a\u{FFFD}b"))
    }
}
