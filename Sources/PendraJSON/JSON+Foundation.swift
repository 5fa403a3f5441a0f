import Foundation

/// Interop with values that already went through Foundation (NSNumber,
/// `[String: Any]`). Nothing in Pendra parses JSON this way any more: text is
/// parsed by `JSON.parse`, which keeps key order; these stay for callers that
/// hold Foundation values.
extension JSON {
    /// A Foundation dictionary has no order; its keys are sorted so the
    /// result is at least stable.
    public init(foundation any: Any) {
        switch any {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            let type = String(cString: n.objCType)
            // Foundation's bridged booleans report the Objective-C type "c".
            if type == "c" { self = .bool(n.boolValue) }
            else if type == "d" || type == "f" || type == "Q" { self = .double(n.doubleValue) }
            else { self = .int(n.intValue) }
        case let a as [Any]: self = .array(a.map(JSON.init(foundation:)))
        case let d as [String: Any]:
            var o = JSONObject()
            for k in d.keys.sorted() { o[k] = JSON(foundation: d[k]!) }
            self = .object(o)
        default: self = .null
        }
    }
}
