/// One tensor's description from the GGUF header. The weights themselves are never read.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Sizes as stored, fastest-varying first (ggml's `ne` order, the reverse of numpy's).
    public let dimensions: [UInt64]
    public let type: GGMLType
    /// Offset of the tensor's data from the start of the data section (not of the file).
    public let offset: UInt64
    /// Product of `dimensions`; checked at parse time to fit in Int64, as ggml requires.
    public let elementCount: UInt64
    /// Bytes of the tensor's data: blocks × bytes per block.
    public let byteSize: UInt64

    /// Validates the shape against the type the way `gguf_init_from_file` does, so a header
    /// that passes here is one llama.cpp would not reject for its shape.
    init(name: String, dimensions: [UInt64], type: GGMLType, offset: UInt64) throws(TensorShapeError) {
        var count: UInt64 = 1
        for dim in dimensions {
            guard dim <= UInt64(Int64.max) else { throw .negativeDimension(dim) }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= UInt64(Int64.max) else { throw .elementCountOverflow }
            count = product
        }
        let (blockSize, typeSize) = type.blockLayout
        let rowLength = dimensions.first ?? 1
        guard rowLength % blockSize == 0 else {
            throw .rowNotMultipleOfBlock(rowLength: rowLength, blockSize: blockSize)
        }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: typeSize)
        guard !overflow, bytes <= UInt64(Int64.max) else { throw .byteSizeOverflow }
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.elementCount = count
        self.byteSize = bytes
    }

    /// Why a shape was refused; the parser turns it into `GGUFError.corrupt` with the tensor name.
    enum TensorShapeError: Error, CustomStringConvertible {
        case negativeDimension(UInt64)
        case elementCountOverflow
        case rowNotMultipleOfBlock(rowLength: UInt64, blockSize: UInt64)
        case byteSizeOverflow

        var description: String {
            switch self {
            case .negativeDimension(let d):
                return "dimension \(Int64(bitPattern: d)) is negative"
            case .elementCountOverflow:
                return "element count overflows int64"
            case .rowNotMultipleOfBlock(let row, let block):
                return "row length \(row) is not a multiple of the block size \(block)"
            case .byteSizeOverflow:
                return "size in bytes overflows int64"
            }
        }
    }
}
