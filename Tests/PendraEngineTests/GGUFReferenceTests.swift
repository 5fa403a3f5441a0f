import Foundation
import XCTest
@testable import PendraEngine

/// Our reader against gguf-py's `GGUFReader` on the vocab files that llama.cpp ships
/// (written by gguf-py itself), field by field.
final class GGUFReferenceTests: XCTestCase {
    private static let referenceFiles = ["ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf"]

    /// Prints, per file, what gguf-py sees: counts, keys in order, every scalar, every array's
    /// length, and the whole token list.
    private static let script = #"""
import json, sys
from gguf import GGUFReader, GGUFValueType
out = {}
for path in sys.argv[1:]:
    r = GGUFReader(path)
    fields = {k: f for k, f in r.fields.items() if not k.startswith("GGUF.")}
    def get(k):
        f = fields.get(k)
        return None if f is None else f.contents()
    tokens = fields["tokenizer.ggml.tokens"]
    n = len(tokens.data)
    out[path] = {
        "version": int(r.fields["GGUF.version"].parts[0][0]),
        "tensor_count": len(r.tensors),
        "kv_count": int(r.fields["GGUF.kv_count"].parts[0][0]),
        "keys": list(fields.keys()),
        "scalars": {k: f.contents() for k, f in fields.items() if f.types[0] != GGUFValueType.ARRAY},
        "array_lengths": {k: len(f.data) for k, f in fields.items() if f.types[0] == GGUFValueType.ARRAY},
        "architecture": get("general.architecture"),
        "name": get("general.name"),
        "tokenizer_model": get("tokenizer.ggml.model"),
        "token_count": n,
        "first_token": tokens.contents(0),
        "last_token": tokens.contents(n - 1),
        "tokens": tokens.contents(),
        "bos_id": get("tokenizer.ggml.bos_token_id"),
        "eos_id": get("tokenizer.ggml.eos_token_id"),
    }
print(json.dumps(out))
"""#

    /// gguf-py writes a small model with tensors of several types, a custom alignment and
    /// every value type, then dumps what its own reader sees as a sidecar we compare against.
    private static let writerScript = #"""
import json, sys
import numpy as np
from gguf import GGUFWriter, GGUFReader, GGUFValueType as T, GGMLQuantizationType as Q, GGML_QUANT_SIZES
out = sys.argv[1]
w = GGUFWriter(out, "llama")
w.add_custom_alignment(64)
w.add_name("reference tiny")
w.add_file_type(15)
w.add_context_length(128)
w.add_uint8("t.u8", 200); w.add_int8("t.i8", -100); w.add_uint16("t.u16", 60000); w.add_int16("t.i16", -30000)
w.add_uint32("t.u32", 4000000000); w.add_int32("t.i32", -2000000000); w.add_uint64("t.u64", 2**64 - 1)
w.add_int64("t.i64", -2**63); w.add_float32("t.f32", 0.1); w.add_float64("t.f64", 1e-300); w.add_bool("t.b", False)
w.add_string("t.s", "✓ unicode"); w.add_array("t.nested", [[1, 2], [3]]); w.add_array("t.strs", ["a", "bc"])
for name, q, shape in [("f32", Q.F32, (3, 8)), ("f16", Q.F16, (5,)), ("bf16", Q.BF16, (2, 4)), ("q8_0", Q.Q8_0, (2, 64)),
                       ("q4_k", Q.Q4_K, (1, 256)), ("q6_k", Q.Q6_K, (3, 512)), ("iq4_nl", Q.IQ4_NL, (32,))]:
    block, size = GGML_QUANT_SIZES[q]
    rows, cols = (1, shape[0]) if len(shape) == 1 else shape
    w.add_tensor(name, np.zeros((rows, cols // block * size), dtype=np.uint8), raw_dtype=q)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
r = GGUFReader(out)
kv = {k: f.contents() for k, f in r.fields.items() if f.types and f.types[0] != T.ARRAY}
lengths = {k: len(f.data) for k, f in r.fields.items() if f.types and f.types[0] == T.ARRAY}
tensors = [{"name": t.name, "type": t.tensor_type.name, "shape": [int(x) for x in t.shape]} for t in r.tensors]
json.dump({"tensor_count": len(r.tensors), "kv": kv, "array_lengths": lengths, "tensors": tensors}, open(out + ".json", "w"))
print(json.dumps({"data_offset": int(r.data_offset), "alignment": int(r.alignment),
                  "tensor_bytes": [int(t.n_bytes) for t in r.tensors], "elements": [int(t.n_elements) for t in r.tensors]}))
"""#

    func testMatchesGGUFPyOnAModelWithTensors() throws {
        let path = try writeTemporaryGGUF([], name: "reference.gguf")
        let reported = try GGUFTestEnvironment.runPython(Self.writerScript, arguments: [path])
        let layout = try XCTUnwrap(reported as? [String: Any])
        try GGUFReferenceComparison.assertMatchesSidecar(model: path, sidecar: path + ".json")

        let file = try GGUFFile.read(path: path)
        XCTAssertEqual(file.alignment, (layout["alignment"] as? NSNumber)?.uint64Value)
        XCTAssertEqual(file.dataOffset, (layout["data_offset"] as? NSNumber)?.uint64Value)
        XCTAssertEqual(file.tensors.map(\.byteSize), (layout["tensor_bytes"] as? [NSNumber])?.map(\.uint64Value))
        XCTAssertEqual(file.tensors.map(\.elementCount), (layout["elements"] as? [NSNumber])?.map(\.uint64Value))
        XCTAssertEqual(file["t.nested"], .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]), "gguf-py writes Python ints as int32")
        XCTAssertEqual(file.quantizationName, "Q4_K_M")
        XCTAssertEqual(file.contextLength, 128)
    }

    func testReadsEveryShippedVocabFile() throws {
        let directory = GGUFTestEnvironment.llamaSource + "/models"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("ggml-vocab-") && $0.hasSuffix(".gguf") }.sorted()
        XCTAssertGreaterThan(names.count, 5, "expected llama.cpp's vocab files in \(directory)")
        for name in names {
            let file = try GGUFFile.read(path: directory + "/" + name)
            XCTAssertNotNil(file.architecture, name)
            XCTAssertNotNil(file.tokenizerModel, name)
            XCTAssertGreaterThan(file.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count ?? 0, 1000, name)
        }
    }

    func testMatchesGGUFPyOnShippedVocabFiles() throws {
        let paths = Self.referenceFiles.map { GGUFTestEnvironment.llamaSource + "/models/" + $0 }
        for path in paths {
            XCTAssertTrue(FileManager.default.fileExists(atPath: path),
                          "reference file \(path) is missing; set PENDRA_LLAMA_SRC to llama.cpp's source tree")
        }
        let reference = try GGUFTestEnvironment.runPython(Self.script, arguments: paths)
        let byPath = try XCTUnwrap(reference as? [String: Any], "gguf-py output is not an object")
        for path in paths {
            let expected = try XCTUnwrap(byPath[path] as? [String: Any], "gguf-py said nothing about \(path)")
            let start = Date()
            let file = try GGUFFile.read(path: path)
            let seconds = Date().timeIntervalSince(start)
            print("GGUFReferenceTests: read \(path) in \(Int(seconds * 1000)) ms")
            try compare(file, with: expected)
        }
    }

    private func compare(_ file: GGUFFile, with expected: [String: Any]) throws {
        let name = (file.path as NSString).lastPathComponent
        XCTAssertEqual(Int(file.version), expected["version"] as? Int, name)
        XCTAssertEqual(file.tensors.count, expected["tensor_count"] as? Int, name)
        XCTAssertEqual(file.metadata.count, expected["kv_count"] as? Int, name)
        XCTAssertEqual(file.metadataKeys, expected["keys"] as? [String], name)
        XCTAssertEqual(file.architecture, expected["architecture"] as? String, name)
        XCTAssertEqual(file.name, expected["name"] as? String, name)
        XCTAssertEqual(file.tokenizerModel, expected["tokenizer_model"] as? String, name)

        let tokens = try XCTUnwrap(file.metadata["tokenizer.ggml.tokens"]?.arrayValue, name)
        XCTAssertEqual(tokens.count, expected["token_count"] as? Int, name)
        XCTAssertEqual(file.token(at: 0), expected["first_token"] as? String, name)
        XCTAssertEqual(file.token(at: tokens.count - 1), expected["last_token"] as? String, name)
        XCTAssertEqual(tokens.map { $0.stringValue ?? "<not a string>" }, expected["tokens"] as? [String], name)
        XCTAssertEqual(file.metadata["tokenizer.ggml.bos_token_id"]?.intValue, expected["bos_id"] as? Int, name)
        XCTAssertEqual(file.metadata["tokenizer.ggml.eos_token_id"]?.intValue, expected["eos_id"] as? Int, name)
        if let bos = expected["bos_id"] as? Int { XCTAssertEqual(file.bosToken, tokens[bos].stringValue, name) }

        let scalars = try XCTUnwrap(expected["scalars"] as? [String: Any], name)
        XCTAssertFalse(scalars.isEmpty, name)
        for (key, value) in scalars {
            GGUFReferenceComparison.assertScalar(file.metadata[key], equals: value, "\(name): \(key)")
        }
        let lengths = try XCTUnwrap(expected["array_lengths"] as? [String: Int], name)
        for (key, length) in lengths {
            XCTAssertEqual(file.metadata[key]?.arrayValue?.count, length, "\(name): \(key)")
        }
    }
}
