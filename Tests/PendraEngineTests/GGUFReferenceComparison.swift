import Foundation
import XCTest
@testable import PendraEngine

/// Compares what our reader sees with what gguf-py's reader saw, as JSON.
enum GGUFReferenceComparison {
    /// One of our values against the JSON that gguf-py's `contents()` produced for it.
    static func assertScalar(_ ours: GGUFValue?, equals json: Any, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let ours else { return XCTFail("\(message): missing in our reader", file: file, line: line) }
        switch ours {
        case .string(let s):
            XCTAssertEqual(s, json as? String, message, file: file, line: line)
        case .bool(let b):
            XCTAssertEqual(b, json as? Bool, message, file: file, line: line)
        case .float32(let f):
            // gguf-py widens float32 to a Python float exactly, but corelibs' JSONSerialization
            // may parse it an ulp off as a Double; narrowed back to Float it must be identical.
            XCTAssertEqual(f, (json as? NSNumber).map { Float($0.doubleValue) }, message, file: file, line: line)
        case .float64(let d):
            let theirs = (json as? NSNumber)?.doubleValue ?? .nan
            XCTAssertEqual(d, theirs, accuracy: Swift.max(abs(d), 1e-300) * 1e-14, message, file: file, line: line)
        case .uint64(let v):
            XCTAssertEqual(v, (json as? NSNumber)?.uint64Value, message, file: file, line: line)
        case .array:
            XCTFail("\(message): we read an array where gguf-py saw a scalar \(json)", file: file, line: line)
        default:
            XCTAssertEqual(ours.intValue.map(Int64.init), (json as? NSNumber)?.int64Value, message, file: file, line: line)
        }
    }

    /// Checks the file at `model` against a sidecar JSON written from gguf-py's reader:
    /// `{"tensor_count", "kv": {scalar keys}, "array_lengths", "tensors": [{"name", "type", "shape"}]}`.
    static func assertMatchesSidecar(model path: String, sidecar: String) throws {
        let name = (path as NSString).lastPathComponent
        let data = try XCTUnwrap(FileManager.default.contents(atPath: sidecar),
                                 "\(name): sidecar \(sidecar) is missing; run `make models` again")
        let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(sidecar) is not a JSON object")
        let file = try GGUFFile.read(path: path)

        XCTAssertEqual(file.tensors.count, expected["tensor_count"] as? Int, "\(name): tensor count")
        let kv = try XCTUnwrap(expected["kv"] as? [String: Any], "\(name): sidecar has no kv object")
        XCTAssertFalse(kv.isEmpty, "\(name): sidecar lists no scalar keys")
        // gguf-py's reader adds pseudo-fields for the header ("GGUF.version", ...); a sidecar
        // that dumps every field has them, so they are checked against the header instead.
        let header: [String: Int] = ["GGUF.version": Int(file.version), "GGUF.tensor_count": file.tensors.count,
                                     "GGUF.kv_count": file.metadata.count]
        for (key, value) in kv {
            if key.hasPrefix("GGUF.") {
                XCTAssertEqual(header[key], (value as? NSNumber)?.intValue, "\(name): \(key)")
            } else {
                assertScalar(file.metadata[key], equals: value, "\(name): \(key)")
            }
        }
        for (key, length) in (expected["array_lengths"] as? [String: Int]) ?? [:] {
            XCTAssertEqual(file.metadata[key].map(flattenedCount), length, "\(name): length of \(key)")
        }
        let scalarKeys = Set(file.metadata.filter { $0.value.arrayValue == nil }.keys)
        XCTAssertEqual(scalarKeys, Set(kv.keys.filter { !$0.hasPrefix("GGUF.") }), "\(name): the scalar keys differ")

        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]], "\(name): sidecar has no tensors list")
        XCTAssertEqual(file.tensors.map(\.name), tensors.map { $0["name"] as? String ?? "" }, "\(name): tensor names")
        for (ours, theirs) in zip(file.tensors, tensors) {
            checkTensor(ours, against: theirs, in: name)
        }
    }

    /// gguf-py's reader flattens nested arrays (a FIXME in `_get_field_parts`), so its length
    /// of `[[1, 2], [3]]` is 3; count leaves the same way to compare.
    static func flattenedCount(_ value: GGUFValue) -> Int? {
        guard let items = value.arrayValue else { return nil }
        return items.reduce(0) { $0 + (flattenedCount($1) ?? 1) }
    }

    /// The sidecar may give the type as gguf-py's enum name ("Q8_0") or number, and the shape
    /// either as stored (`ReaderTensor.shape`, ggml order) or numpy's reversed order
    /// (`ReaderTensor.data.shape`); both spellings describe the same header.
    private static func checkTensor(_ ours: GGUFTensorInfo, against theirs: [String: Any], in name: String) {
        let label = "\(name): tensor \(ours.name)"
        switch theirs["type"] {
        case let typeName as String: XCTAssertEqual(ours.type.name, typeName, label)
        case let number as NSNumber: XCTAssertEqual(ours.type.rawValue, number.uint32Value, label)
        default: XCTFail("\(label): sidecar has no type")
        }
        guard let shape = (theirs["shape"] as? [NSNumber])?.map(\.uint64Value) else {
            return XCTFail("\(label): sidecar has no shape")
        }
        XCTAssertTrue(shape == ours.dimensions || Array(shape.reversed()) == ours.dimensions,
                      "\(label): shape \(shape) vs ours \(ours.dimensions)")
    }
}
