import PendraEngine

/// A JSON request body with typed field access. Every problem becomes a 400
/// that names the field (OpenAI's `param`), never a crash or a silent default.
struct RequestBody {
    let object: JSONObject
    /// Prefix for nested fields in messages, e.g. "messages[2].".
    var path = ""

    /// Checks the content type and parses the body as a JSON object.
    static func parse(_ request: HTTPRequest) throws(APIError) -> RequestBody {
        // Required, not merely checked when present: a body without it is
        // what a page's no-cors fetch sends (see BrowserGuard).
        guard BrowserGuard.isJSON(request.headers["Content-Type"]) else {
            let type = request.headers["Content-Type"].map { "not \(BrowserGuard.quoted($0))" } ?? "and it is missing"
            throw .unsupportedMediaType("Content-Type must be application/json, \(type)")
        }
        guard !request.body.isEmpty else { throw .badRequest("Request body is empty; expected a JSON object") }
        let json: JSON
        do { json = try JSON.parse(request.body) } catch { throw .badRequest("Malformed JSON body: \(error.message)") }
        guard case .object(let o) = json else {
            throw .badRequest("Request body must be a JSON object, not \(json.typeName)")
        }
        return RequestBody(object: o)
    }

    init(object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    func nested(_ object: JSONObject, at key: String) -> RequestBody {
        RequestBody(object: object, path: path + key + ".")
    }

    func has(_ key: String) -> Bool {
        if let v = object[key], !v.isNull { return true }
        return false
    }

    func raw(_ key: String) -> JSON? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    func wrongType(_ key: String, _ expected: String, _ got: JSON) -> APIError {
        .badRequest("Invalid type for '\(path)\(key)': expected \(expected), got \(got.typeName)", param: path + key)
    }

    func missing(_ key: String) -> APIError {
        .badRequest("Missing required parameter: '\(path)\(key)'", param: path + key)
    }

    func invalid(_ key: String, _ why: String) -> APIError {
        .badRequest("Invalid value for '\(path)\(key)': \(why)", param: path + key)
    }

    func string(_ key: String, required: Bool = false) throws(APIError) -> String? {
        guard let v = raw(key) else { if required { throw missing(key) }; return nil }
        guard let s = v.string else { throw wrongType(key, "a string", v) }
        return s
    }

    func int(_ key: String, required: Bool = false, min: Int? = nil, max: Int? = nil) throws(APIError) -> Int? {
        guard let v = raw(key) else { if required { throw missing(key) }; return nil }
        guard case .int(let i) = v else {
            if case .double(let d) = v, d == d.rounded(), abs(d) < 9e15 { return try check(key, Int(d), min, max) }
            throw wrongType(key, "an integer", v)
        }
        return try check(key, i, min, max)
    }

    private func check(_ key: String, _ i: Int, _ lo: Int?, _ hi: Int?) throws(APIError) -> Int {
        if let lo, i < lo { throw invalid(key, "must be at least \(lo), got \(i)") }
        if let hi, i > hi { throw invalid(key, "must be at most \(hi), got \(i)") }
        return i
    }

    func double(_ key: String, min: Double? = nil, max: Double? = nil) throws(APIError) -> Double? {
        guard let v = raw(key) else { return nil }
        guard let d = v.double else { throw wrongType(key, "a number", v) }
        if let min, d < min { throw invalid(key, "must be at least \(min), got \(d)") }
        if let max, d > max { throw invalid(key, "must be at most \(max), got \(d)") }
        return d
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = raw(key) else { return nil }
        guard let b = v.bool else { throw wrongType(key, "a boolean", v) }
        return b
    }

    func array(_ key: String, required: Bool = false) throws(APIError) -> [JSON]? {
        guard let v = raw(key) else { if required { throw missing(key) }; return nil }
        guard let a = v.array else { throw wrongType(key, "an array", v) }
        return a
    }

    func object(_ key: String) throws(APIError) -> JSONObject? {
        guard let v = raw(key) else { return nil }
        guard let o = v.object else { throw wrongType(key, "an object", v) }
        return o
    }

    /// `stop` / `stop_sequences`: a string or an array of strings.
    func stopStrings(_ key: String, limit: Int = 16) throws(APIError) -> [String] {
        guard let v = raw(key) else { return [] }
        if let s = v.string { return [s] }
        guard let a = v.array else { throw wrongType(key, "a string or an array of strings", v) }
        var out: [String] = []
        for (i, e) in a.enumerated() {
            guard let s = e.string else { throw wrongType("\(key)[\(i)]", "a string", e) }
            out.append(s)
        }
        if out.count > limit { throw invalid(key, "at most \(limit) stop sequences") }
        return out.filter { !$0.isEmpty }
    }
}
