// Chunked transfer coding (RFC 9112 §7.1): sizes, extensions (ignored),
// data, and the trailer section (parsed for framing, then ignored).
extension HTTPParser {
    enum ChunkStep { case needMore, progressed, done }

    /// Longest chunk-size line accepted (size plus extensions).
    static let maxChunkLineBytes = 4096

    mutating func stepChunked() throws(HTTPParseError) -> ChunkStep {
        switch phase {
        case .chunkSize:
            guard let line = try takeLine(limit: Self.maxChunkLineBytes, tooLong: .badRequest("chunk size line too long")) else {
                return .needMore
            }
            let size = try parseChunkSize(line)
            phase = size == 0 ? .trailers(bytes: 0) : .chunkData(remaining: size)
            return .progressed
        case .chunkData(let remaining):
            let n = min(remaining, bufferedByteCount)
            guard n > 0 else { return .needMore }
            body.append(contentsOf: buffer[start..<start + n])
            start += n
            phase = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return .progressed
        case .chunkDataEnd:
            guard bufferedByteCount >= 1 else { return .needMore }
            if buffer[start] == Self.lf {
                start += 1
            } else if buffer[start] == Self.cr {
                guard bufferedByteCount >= 2 else { return .needMore }
                guard buffer[start + 1] == Self.lf else { throw .badRequest("missing CRLF after chunk data") }
                start += 2
            } else {
                throw .badRequest("missing CRLF after chunk data")
            }
            phase = .chunkSize
            return .progressed
        case .trailers(let bytes):
            let room = limits.maxHeaderBytes - bytes
            guard let line = try takeLine(limit: room, tooLong: .headerFieldsTooLarge) else { return .needMore }
            if line.isEmpty { return .done }
            _ = try Self.parseField(line)
            phase = .trailers(bytes: bytes + line.count + 2)
            return .progressed
        default:
            return .needMore
        }
    }

    /// Takes one LF-terminated line (CR before LF dropped); nil if incomplete.
    private mutating func takeLine(limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let end = min(buffer.count, start + max(limit, 0) + 2)
        guard let lf = buffer[start..<end].firstIndex(of: Self.lf) else {
            if end - start >= max(limit, 0) + 2 { throw tooLong }
            return nil
        }
        var lineEnd = lf
        if lineEnd > start && buffer[lineEnd - 1] == Self.cr { lineEnd -= 1 }
        let line = buffer[start..<lineEnd]
        if line.count > limit { throw tooLong }
        if line.contains(Self.cr) { throw .badRequest("bare CR in chunked framing") }
        start = lf + 1
        return line
    }

    /// `1*HEXDIG [ BWS ";" ext... ]` with an overflow-safe size check.
    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var i = line.startIndex
        let room = limits.maxBodyBytes - body.count
        while i < line.endIndex, let v = HTTPQuery.hexValue(line[i]) {
            size = size * 16 + Int(v)
            if size > room { throw .contentTooLarge }
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw .badRequest("invalid chunk size") }
        while i < line.endIndex, line[i] == Self.sp || line[i] == Self.htab { i += 1 }
        if i < line.endIndex && line[i] != UInt8(ascii: ";") { throw .badRequest("invalid chunk size") }
        return size
    }
}
