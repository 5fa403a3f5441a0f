import XCTest
@testable import PendraEngine

/// Quantization names, size labels and tensor byte sizes: what the models list shows.
final class GGUFQuantizationTests: XCTestCase {
    private func file(metadata: [(String, GGUFValue)], tensors: [GGUFTestWriter.Tensor]) throws -> GGUFFile {
        try GGUFFile.read(path: try writeTemporaryGGUF(GGUFTestWriter.file(metadata: metadata, tensors: tensors)))
    }

    func testQuantizationNameFromFileType() throws {
        let expected: [(GGUFValue, String)] = [
            (.uint32(0), "F32"), (.uint32(1), "F16"), (.uint32(2), "Q4_0"), (.uint32(7), "Q8_0"),
            (.uint32(10), "Q2_K"), (.uint32(12), "Q3_K_M"), (.uint32(14), "Q4_K_S"), (.uint32(15), "Q4_K_M"),
            (.uint32(17), "Q5_K_M"), (.uint32(18), "Q6_K"), (.uint32(30), "IQ4_XS"), (.uint32(32), "BF16"),
            (.uint32(38), "MXFP4_MOE"), (.int32(15), "Q4_K_M"), (.uint64(7), "Q8_0"),
        ]
        for (value, name) in expected {
            let f = try file(metadata: [("general.file_type", value)], tensors: [])
            XCTAssertEqual(f.quantizationName, name, "file_type \(value)")
        }
    }

    func testQuantizationNameFallsBackToTheTypeHoldingMostBytes() throws {
        // Many small F32 norms, one big Q8_0 matrix: the answer is Q8_0, by bytes, not by count.
        var tensors = (0..<5).map { GGUFTestWriter.Tensor(name: "norm.\($0)", dimensions: [32], type: GGMLType.f32.rawValue, byteSize: 128) }
        tensors.append(.init(name: "big", dimensions: [32, 64], type: GGMLType.q8_0.rawValue, byteSize: 64 * 34))
        let f = try file(metadata: [], tensors: tensors)
        XCTAssertEqual(f.dominantTensorType, .q8_0)
        XCTAssertEqual(f.quantizationName, "Q8_0")
        // A file_type number llama.cpp does not define also falls back.
        let unknown = try file(metadata: [("general.file_type", .uint32(5))], tensors: tensors)
        XCTAssertEqual(unknown.quantizationName, "Q8_0")
    }

    func testEveryLlamaFileTypeHasAName() {
        let defined = Array(0...3) + Array(7...32) + Array(36...41)
        for raw in defined {
            XCTAssertNotNil(LlamaFileType.name(UInt32(raw)), "LLAMA_FTYPE \(raw)")
        }
        for raw: UInt32 in [4, 5, 6, 33, 34, 35, 42, 1024] {
            XCTAssertNil(LlamaFileType.name(raw), "LLAMA_FTYPE \(raw) is not defined")
        }
    }

    func testTensorByteSizesFollowBlockLayout() throws {
        let tensors: [GGUFTestWriter.Tensor] = [
            .init(name: "f16", dimensions: [10, 3], type: GGMLType.f16.rawValue, byteSize: 60),
            .init(name: "q4_0", dimensions: [64, 2], type: GGMLType.q4_0.rawValue, byteSize: 4 * 18),
            .init(name: "q6_k", dimensions: [512], type: GGMLType.q6_K.rawValue, byteSize: 2 * 210),
            .init(name: "bf16", dimensions: [7], type: GGMLType.bf16.rawValue, byteSize: 14),
        ]
        let f = try file(metadata: [], tensors: tensors)
        XCTAssertEqual(f.tensors.map(\.byteSize), [60, 72, 420, 14])
        XCTAssertEqual(f.parameterCount, 30 + 128 + 512 + 7)
    }

    func testSizeLabelMatchesGGUFPyNotation() {
        // Values from gguf-py's model_weight_count_rounded_notation.
        let cases: [(UInt64, String)] = [
            (8_030_261_248, "8.0B"), (135_000_000, "135M"), (22_713_216, "23M"), (22_000_000, "22M"),
            (494_032_768, "494M"), (1_543_714_304, "1.5B"), (70_553_706_496, "71B"),
            (1_200_000_000_000_000, "1200T"), (4_500, "4.5K"), (1_000_000, "1000K"), (0, "0"),
        ]
        for (count, label) in cases {
            XCTAssertEqual(GGUFSizeLabel.rounded(count), label, "\(count)")
        }
    }

    func testParameterSizeLabelPrefersTheFileLabel() throws {
        let tensors = [GGUFTestWriter.Tensor(name: "w", dimensions: [1000, 1000], type: GGMLType.f32.rawValue, byteSize: 4_000_000)]
        XCTAssertEqual(try file(metadata: [], tensors: tensors).parameterSizeLabel, "1000K")
        let labelled = try file(metadata: [("general.size_label", .string("8x7B"))], tensors: tensors)
        XCTAssertEqual(labelled.sizeLabel, "8x7B")
        XCTAssertEqual(labelled.parameterSizeLabel, "8x7B")
    }
}
