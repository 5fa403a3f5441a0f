/// The header of one GGUF file: metadata and tensor descriptions, never the weights.
///
/// Reading a multi-gigabyte model costs a few page faults for the header (plus the token
/// list), so the models list and memory planning can call this freely.
public struct GGUFFile: Sendable {
    public let path: String
    /// 2 or 3.
    public let version: UInt32
    public let fileSize: UInt64
    /// Metadata keys in file order (`metadata` itself is unordered).
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32 when absent.
    public let alignment: UInt64
    /// Byte offset in the file where tensor data starts; tensor offsets are relative to it.
    public let dataOffset: UInt64

    /// Reads and validates the header at `path`.
    public static func read(path: String) throws(GGUFError) -> GGUFFile {
        try GGUFMappedFile.withBytes(path: path) { (bytes, size) throws(GGUFError) -> GGUFFile in
            var parser = GGUFParser(bytes: bytes, path: path)
            let header = try parser.parse()
            return GGUFFile(path: path, version: header.version, fileSize: size,
                            metadataKeys: header.metadataKeys, metadata: header.metadata,
                            tensors: header.tensors, alignment: header.alignment,
                            dataOffset: header.dataOffset)
        }
    }

    /// Looks up `key`; a shorthand for `metadata[key]`.
    public subscript(key: String) -> GGUFValue? {
        metadata[key]
    }
}
