/// Walks a GGUF header: magic, version, metadata key/values, tensor infos, data offset.
///
/// Every count read from the file is checked against the bytes that remain before anything
/// is allocated for it, so a hostile count (2^60 array elements) costs a comparison, not memory.
struct GGUFParser {
    /// What the header says, before `GGUFFile` wraps it with the path.
    struct Header {
        var version: UInt32
        var metadataKeys: [String]
        var metadata: [String: GGUFValue]
        var tensors: [GGUFTensorInfo]
        var alignment: UInt64
        var dataOffset: UInt64
    }

    static let defaultAlignment: UInt64 = 32
    /// gguf.cpp allows any nesting; we stop at a depth no real file uses so that a file made of
    /// nested array headers cannot exhaust the stack.
    static let maxArrayDepth = 8
    /// key + type tag + one byte of value; name + n_dims + type + offset.
    private static let minimumKVSize: UInt64 = 8 + 4 + 1
    private static let minimumTensorInfoSize: UInt64 = 8 + 4 + 4 + 8

    private var reader: GGUFByteReader
    private var path: String { reader.path }

    init(bytes: UnsafeRawBufferPointer, path: String) {
        reader = GGUFByteReader(bytes: bytes, path: path)
    }

    mutating func parse() throws(GGUFError) -> Header {
        try readMagic()
        let version = try reader.read(UInt32.self, for: "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        let tensorCount = try readCount(what: "tensor count", minimumSize: Self.minimumTensorInfoSize)
        let kvCount = try readCount(what: "metadata count", minimumSize: Self.minimumKVSize)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(kvCount)
        metadata.reserveCapacity(kvCount)
        for index in 0..<kvCount {
            let key = try reader.readString(for: "key of metadata entry \(index)")
            let tag = try reader.read(UInt32.self, for: "value type of '\(key)'")
            let value = try readValue(tag: tag, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw .corrupt(path: path, reason: "duplicate metadata key '\(key)'")
            }
            keys.append(key)
        }

        let alignment = try alignment(from: metadata)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        var names = Set<String>()
        for index in 0..<tensorCount {
            let tensor = try readTensorInfo(index: index, alignment: alignment)
            guard names.insert(tensor.name).inserted else {
                throw .corrupt(path: path, reason: "duplicate tensor name '\(tensor.name)'")
            }
            tensors.append(tensor)
        }

        let dataOffset = try dataSectionOffset(hasTensors: !tensors.isEmpty, alignment: alignment)
        try checkTensorData(tensors, dataOffset: dataOffset, alignment: alignment)
        return Header(version: version, metadataKeys: keys, metadata: metadata, tensors: tensors,
                      alignment: alignment, dataOffset: dataOffset)
    }

    private mutating func readMagic() throws(GGUFError) {
        let magic = Array(reader.bytes.prefix(4))
        let expected: [UInt8] = Array("GGUF".utf8)
        // A short file that starts like GGUF was cut off; anything else is some other format.
        guard magic == Array(expected.prefix(magic.count)), !magic.isEmpty else {
            throw .notGGUF(path: path, magic: magic)
        }
        try reader.skip(4, for: "magic")
    }

    /// Tensor and metadata counts are int64 in the file; refuse negative ones and ones whose
    /// smallest possible encoding is already longer than the rest of the file.
    private mutating func readCount(what: String, minimumSize: UInt64) throws(GGUFError) -> Int {
        let start = UInt64(reader.offset)
        let count = try reader.read(UInt64.self, for: what)
        guard count <= UInt64(Int64.max) else {
            throw .corrupt(path: path, reason: "\(what) \(Int64(bitPattern: count)) is negative")
        }
        guard count <= UInt64(reader.remaining) / minimumSize else {
            throw .truncated(path: path, what: "\(count) entries announced by the \(what)", offset: start)
        }
        return Int(count)
    }

    private func valueType(_ tag: UInt32, key: String) throws(GGUFError) -> GGUFValueType {
        guard let type = GGUFValueType(rawValue: tag) else {
            throw .corrupt(path: path, reason: "metadata '\(key)' has unknown value type \(tag)")
        }
        return type
    }

    private mutating func readValue(tag: UInt32, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let what = "value of '\(key)'"
        switch try valueType(tag, key: key) {
        case .uint8: return .uint8(try reader.read(UInt8.self, for: what))
        case .int8: return .int8(try reader.read(Int8.self, for: what))
        case .uint16: return .uint16(try reader.read(UInt16.self, for: what))
        case .int16: return .int16(try reader.read(Int16.self, for: what))
        case .uint32: return .uint32(try reader.read(UInt32.self, for: what))
        case .int32: return .int32(try reader.read(Int32.self, for: what))
        case .uint64: return .uint64(try reader.read(UInt64.self, for: what))
        case .int64: return .int64(try reader.read(Int64.self, for: what))
        case .float32: return .float32(try reader.readFloat(for: what))
        case .float64: return .float64(try reader.readDouble(for: what))
        case .bool: return .bool(try reader.read(UInt8.self, for: what) != 0)
        case .string: return .string(try reader.readString(for: what))
        case .array: return .array(try readArray(key: key, depth: depth))
        }
    }

    private mutating func readArray(key: String, depth: Int) throws(GGUFError) -> [GGUFValue] {
        guard depth < Self.maxArrayDepth else {
            throw .corrupt(path: path, reason: "metadata '\(key)' nests arrays deeper than \(Self.maxArrayDepth) levels")
        }
        let tag = try reader.read(UInt32.self, for: "array element type of '\(key)'")
        let elementType = try valueType(tag, key: key)
        let start = UInt64(reader.offset)
        let count = try reader.read(UInt64.self, for: "array length of '\(key)'")
        guard count <= UInt64(reader.remaining) / UInt64(elementType.minimumEncodedSize) else {
            throw .truncated(path: path, what: "array '\(key)' (\(count) elements announced)", offset: start)
        }
        var values: [GGUFValue] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            values.append(try readValue(tag: tag, key: key, depth: depth + 1))
        }
        return values
    }

    private func alignment(from metadata: [String: GGUFValue]) throws(GGUFError) -> UInt64 {
        guard let value = metadata["general.alignment"] else { return Self.defaultAlignment }
        guard case .uint32(let alignment) = value, alignment != 0, alignment & (alignment - 1) == 0 else {
            throw .corrupt(path: path, reason: "general.alignment must be a uint32 power of two, found \(value)")
        }
        return UInt64(alignment)
    }

    private mutating func readTensorInfo(index: Int, alignment: UInt64) throws(GGUFError) -> GGUFTensorInfo {
        let name = try reader.readString(for: "name of tensor \(index)")
        let dimCount = try reader.read(UInt32.self, for: "dimension count of tensor '\(name)'")
        guard dimCount <= 4 else {
            throw .corrupt(path: path, reason: "tensor '\(name)' has \(dimCount) dimensions; at most 4 are allowed")
        }
        var dimensions: [UInt64] = []
        for axis in 0..<Int(dimCount) {
            dimensions.append(try reader.read(UInt64.self, for: "dimension \(axis) of tensor '\(name)'"))
        }
        let rawType = try reader.read(UInt32.self, for: "type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw .corrupt(path: path, reason: "tensor '\(name)' has unknown ggml type \(rawType)")
        }
        let offset = try reader.read(UInt64.self, for: "data offset of tensor '\(name)'")
        guard offset % alignment == 0 else {
            throw .corrupt(path: path, reason: "tensor '\(name)' data offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        do {
            return try GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset)
        } catch {
            throw .corrupt(path: path, reason: "tensor '\(name)' of type \(type.name) with shape \(dimensions): \(error)")
        }
    }

    /// The data section starts at the next multiple of the alignment after the tensor infos.
    /// Files without tensors (vocab-only files) need no padding, as in gguf.cpp.
    private func dataSectionOffset(hasTensors: Bool, alignment: UInt64) throws(GGUFError) -> UInt64 {
        let position = UInt64(reader.offset)
        guard hasTensors else { return position }
        let aligned = (position + alignment - 1) / alignment * alignment
        guard aligned <= UInt64(reader.bytes.count) else {
            throw .truncated(path: path, what: "padding before the tensor data", offset: position)
        }
        return aligned
    }

    /// Each tensor's data must lie inside the file, and (as gguf.cpp requires) directly follow
    /// the previous tensor's padded data, so a file we accept is one llama.cpp will map.
    private func checkTensorData(_ tensors: [GGUFTensorInfo], dataOffset: UInt64, alignment: UInt64) throws(GGUFError) {
        let dataSize = UInt64(reader.bytes.count) - dataOffset
        var expectedOffset: UInt64 = 0
        for tensor in tensors {
            guard tensor.offset <= dataSize else {
                throw .corrupt(path: path, reason: "tensor '\(tensor.name)' data offset \(tensor.offset) lies beyond the end of the file (data section is \(dataSize) bytes)")
            }
            guard tensor.byteSize <= dataSize - tensor.offset else {
                throw .truncated(path: path, what: "data of tensor '\(tensor.name)' (\(tensor.byteSize) bytes)", offset: dataOffset + tensor.offset)
            }
            guard tensor.offset == expectedOffset else {
                throw .corrupt(path: path, reason: "tensor '\(tensor.name)' data offset \(tensor.offset) should be \(expectedOffset) (tensors must be stored in order without gaps)")
            }
            // Cannot overflow: the tensor ends inside the file, far below 2^64 - alignment.
            expectedOffset = (tensor.offset + tensor.byteSize + alignment - 1) / alignment * alignment
        }
    }
}
