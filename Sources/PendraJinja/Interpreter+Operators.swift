import Foundation

/// Python operator semantics for the values templates use.
extension Interpreter {
    func unary(_ op: String, _ value: JinjaValue) throws -> JinjaValue {
        switch (op, value) {
        case ("-", .int(let i)): return .int(-i)
        case ("-", .double(let d)): return .double(-d)
        case ("-", .bool(let b)): return .int(b ? -1 : 0)
        case ("+", .int), ("+", .double): return value
        case ("+", .bool(let b)): return .int(b ? 1 : 0)
        case (_, .undefined(let u)): throw u.error
        default: throw JinjaError.runtime("bad operand type for unary \(op): '\(value.typeName)'")
        }
    }

    func binary(_ op: String, _ lhs: JinjaValue, _ rhs: JinjaValue) throws -> JinjaValue {
        switch op {
        case "~": return .string(lhs.text + rhs.text)
        case "==": return .bool(lhs.looselyEquals(rhs))
        case "!=": return .bool(!lhs.looselyEquals(rhs))
        case "in": return .bool(try contains(rhs, lhs))
        case "not in": return .bool(!(try contains(rhs, lhs)))
        case "<", "<=", ">", ">=":
            let order = try compare(lhs, rhs, op)
            switch op {
            case "<": return .bool(order < 0)
            case "<=": return .bool(order <= 0)
            case ">": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        default: return try arithmetic(op, lhs, rhs)
        }
    }

    private func arithmetic(_ op: String, _ lhs: JinjaValue, _ rhs: JinjaValue) throws -> JinjaValue {
        switch (op, lhs, rhs) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .array(let a), .array(let b)): return .array(a + b)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = (lhs.asInt ?? rhs.asInt) else { break }
            return .string(String(repeating: s, count: try boundedCount(n, s.utf8.count)))
        case ("*", .array(let a), _), ("*", _, .array(let a)):
            guard let n = (lhs.asInt ?? rhs.asInt) else { break }
            let times = try boundedCount(n, a.count)
            return .array(Array([[JinjaValue]](repeating: a, count: times).joined()))
        case ("%", .string(let format), _):
            return .string(try PythonFormat.percent(format, rhs))
        default: break
        }
        if let a = lhs.asInt, let b = rhs.asInt { return try integerArithmetic(op, a, b) }
        guard let a = lhs.asDouble, let b = rhs.asDouble else {
            if case .undefined(let u) = lhs { throw u.error }
            if case .undefined(let u) = rhs { throw u.error }
            if op == "+", case .string = lhs {
                throw JinjaError.runtime("can only concatenate str (not \"\(rhs.typeName)\") to str")
            }
            if op == "+", case .array = lhs {
                throw JinjaError.runtime("can only concatenate list (not \"\(rhs.typeName)\") to list")
            }
            throw JinjaError.runtime("unsupported operand type(s) for \(op): '\(lhs.typeName)' and '\(rhs.typeName)'")
        }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw JinjaError.runtime("float division by zero") }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw JinjaError.runtime("float floor division by zero") }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw JinjaError.runtime("float modulo") }
            let r = a.truncatingRemainder(dividingBy: b)
            return .double(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case "**": return .double(pow(a, b))
        default: throw JinjaError.runtime("unknown operator '\(op)'")
        }
    }

    private func integerArithmetic(_ op: String, _ a: Int, _ b: Int) throws -> JinjaValue {
        func checked(_ result: (partialValue: Int, overflow: Bool), _ fallback: Double) -> JinjaValue {
            result.overflow ? .double(fallback) : .int(result.partialValue)
        }
        switch op {
        case "+": return checked(a.addingReportingOverflow(b), Double(a) + Double(b))
        case "-": return checked(a.subtractingReportingOverflow(b), Double(a) - Double(b))
        case "*": return checked(a.multipliedReportingOverflow(by: b), Double(a) * Double(b))
        case "/":
            guard b != 0 else { throw JinjaError.runtime("division by zero") }
            return .double(Double(a) / Double(b))
        case "//", "%":
            guard b != 0 else { throw JinjaError.runtime("integer division or modulo by zero") }
            var q = a / b
            var r = a % b
            if r != 0 && (r < 0) != (b < 0) { q -= 1; r += b }
            return .int(op == "//" ? q : r)
        case "**":
            if b < 0 { return .double(pow(Double(a), Double(b))) }
            var result = 1
            for _ in 0..<min(b, 64) {
                let (next, overflow) = result.multipliedReportingOverflow(by: a)
                if overflow { return .double(pow(Double(a), Double(b))) }
                result = next
            }
            return b > 64 && abs(a) > 1 ? .double(pow(Double(a), Double(b))) : .int(result)
        default: throw JinjaError.runtime("unknown operator '\(op)'")
        }
    }

    /// Repetition must not let a template allocate without bound.
    private func boundedCount(_ n: Int, _ unit: Int) throws -> Int {
        let times = max(0, n)
        guard times.multipliedReportingOverflow(by: max(unit, 1)).partialValue <= 10_000_000 else {
            throw JinjaError.runtime("repetition result too large")
        }
        return times
    }

    func compare(_ lhs: JinjaValue, _ rhs: JinjaValue, _ op: String) throws -> Int {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : (a == b ? 0 : 1)
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) where !x.looselyEquals(y) { return try compare(x, y, op) }
            return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
        case (.undefined(let u), _), (_, .undefined(let u)):
            throw u.error
        default:
            guard let a = lhs.asDouble, let b = rhs.asDouble else {
                throw JinjaError.runtime(
                    "'\(op)' not supported between instances of '\(lhs.typeName)' and '\(rhs.typeName)'")
            }
            return a < b ? -1 : (a == b ? 0 : 1)
        }
    }

    /// Python `item in container`.
    func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let needle) = item else {
                throw JinjaError.runtime("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return needle.isEmpty || s.contains(needle)
        case .array(let items): return items.contains { $0.looselyEquals(item) }
        case .object(let object):
            return object.contains(JinjaObject.storageKey(item))
        case .undefined: return false
        default: throw JinjaError.runtime("argument of type '\(container.typeName)' is not iterable")
        }
    }
}
