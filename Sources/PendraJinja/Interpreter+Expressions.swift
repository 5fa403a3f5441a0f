/// Expression evaluation: names, literals, access, calls, filters and tests.
/// Operators live in Interpreter+Operators.swift.
extension Interpreter {
    func evaluate(_ expr: Expr, in frame: Frame) throws -> JinjaValue {
        switch expr {
        case .literal(let value):
            return value
        case .name(let name, _):
            return frame.lookup(name) ?? .undefined(.name(name))
        case .list(let items), .tuple(let items):
            return .array(try items.map { try evaluate($0, in: frame) })
        case .dict(let pairs):
            var object = JinjaObject()
            for pair in pairs {
                object[JinjaObject.storageKey(try evaluate(pair.key, in: frame))] = try evaluate(pair.value, in: frame)
            }
            return .object(object)
        case .attribute(let base, let name, _):
            return try attribute(of: try evaluate(base, in: frame), name)
        case .item(let base, let index, _):
            return try item(of: try evaluate(base, in: frame), try evaluate(index, in: frame))
        case .slice(let base, let start, let stop, let step, _):
            let value = try evaluate(base, in: frame)
            return try slice(value, start: try start.map { try evaluate($0, in: frame) },
                             stop: try stop.map { try evaluate($0, in: frame) },
                             step: try step.map { try evaluate($0, in: frame) })
        case .call(let callee, let arguments, _):
            let function = try evaluate(callee, in: frame)
            return try call(function, try evaluateArguments(arguments, in: frame))
        case .filter(let base, let filter):
            if case .filter(_, let inner) = base, Filters.generators.contains(inner.name),
               ["tojson", "length", "count"].contains(filter.name) {
                // jinja2's map/select return generators, which json.dumps and len() reject.
                throw JinjaError.runtime(filter.name == "tojson" ? "Object of type generator is not JSON serializable"
                                         : "object of type 'generator' has no len()")
            }
            return try applyFilter(filter, to: try evaluate(base, in: frame), in: frame)
        case .test(let base, let name, let arguments, let negated, _):
            let value = try evaluate(base, in: frame)
            let result = try applyTest(name, to: value, try evaluateArguments(arguments, in: frame))
            return .bool(result != negated)
        case .unary(let op, let operand, _):
            return try unary(op, try evaluate(operand, in: frame))
        case .binary(let op, let lhs, let rhs, _):
            let left = try evaluate(lhs, in: frame), right = try evaluate(rhs, in: frame)
            if op == "+", case .string(let a) = left, case .string(let b) = right {
                let (leftSafe, rightSafe) = (Interpreter.isMarkup(lhs), Interpreter.isMarkup(rhs))
                if leftSafe || rightSafe {
                    // Markup + str escapes the plain side, even with autoescape off.
                    return .string((leftSafe ? a : Filters.escape(a)) + (rightSafe ? b : Filters.escape(b)))
                }
            }
            return try binary(op, left, right)
        case .and(let lhs, let rhs):
            let left = try evaluate(lhs, in: frame)
            return left.isTruthy ? try evaluate(rhs, in: frame) : left
        case .or(let lhs, let rhs):
            let left = try evaluate(lhs, in: frame)
            return left.isTruthy ? left : try evaluate(rhs, in: frame)
        case .not(let operand):
            return .bool(!(try evaluate(operand, in: frame).isTruthy))
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: frame).isTruthy { return try evaluate(then, in: frame) }
            return try otherwise.map { try evaluate($0, in: frame) }
                ?? .undefined(.hint("the inline if-expression evaluated to false and no else section was defined."))
        }
    }

    func evaluateArguments(_ arguments: [Argument], in frame: Frame) throws -> JinjaArguments {
        var result = JinjaArguments()
        for argument in arguments {
            switch argument {
            case .positional(let expr): result.positional.append(try evaluate(expr, in: frame))
            case .named(let name, let expr): result.named.append((name, try evaluate(expr, in: frame)))
            }
        }
        return result
    }

    func call(_ callee: JinjaValue, _ arguments: JinjaArguments) throws -> JinjaValue {
        guard case .function(let function) = callee else {
            if case .undefined(let u) = callee { throw u.error }
            throw JinjaError.runtime("'\(callee.typeName)' object is not callable")
        }
        return try function.body(arguments, self)
    }

    /// `x.name`: Python attribute first (methods), then item lookup, as jinja2's getattr.
    func attribute(of value: JinjaValue, _ name: String) throws -> JinjaValue {
        if let method = Methods.bind(name, to: value) { return method }
        switch value {
        case .object(let object): return object[name] ?? .undefined(.attribute(name, of: value))
        case .namespace(let ns): return ns.object[name] ?? .undefined(.attribute(name, of: value))
        case .undefined(let u): throw u.error
        default: return .undefined(.attribute(name, of: value))
        }
    }

    /// `x[key]`: item first, then attribute, as jinja2's getitem.
    func item(of value: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        switch (value, key) {
        case (.array(let items), _):
            guard let i = key.asInt else { return .undefined(Self.missing(key, of: value)) }
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined(.element(key, of: value))
        case (.string(let s), _):
            guard let i = key.asInt else { return .undefined(Self.missing(key, of: value)) }
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? scalars.count + i : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined(.element(key, of: value))
        case (.object(let object), .string(let name)):
            return object[name] ?? Methods.bind(name, to: value) ?? .undefined(.attribute(name, of: value))
        case (.object(let object), _):
            return object[JinjaObject.storageKey(key)] ?? .undefined(.element(key, of: value))
        case (.namespace(let ns), .string(let name)):
            return ns.object[name] ?? .undefined(.attribute(name, of: value))
        case (.undefined(let u), _):
            throw u.error
        default:
            return .undefined(Self.missing(key, of: value))
        }
    }

    /// jinja2's getitem falls back to getattr for string keys, hence "attribute".
    static func missing(_ key: JinjaValue, of value: JinjaValue) -> JinjaUndefined {
        if case .string(let name) = key { return .attribute(name, of: value) }
        return .element(key, of: value)
    }

    /// Python slicing for lists and strings, negative indices and steps included.
    func slice(_ value: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws -> JinjaValue {
        func int(_ v: JinjaValue?) throws -> Int? {
            guard let v, !(v == .none) else { return nil }
            guard let i = v.asInt else { throw JinjaError.runtime("slice indices must be integers or None") }
            return i
        }
        let stride = try int(step) ?? 1
        guard stride != 0 else { throw JinjaError.runtime("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ fallback: Int) -> Int {
                guard var i else { return fallback }
                if i < 0 { i += count }
                return stride > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let from = clamp(try int(start), stride > 0 ? 0 : count - 1)
            let to = clamp(try int(stop), stride > 0 ? count : -1)
            return Array(Swift.stride(from: from, to: to, by: stride))
        }
        switch value {
        case .array(let items): return .array(try indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined(let u): throw u.error
        default: throw JinjaError.runtime("'\(value.typeName)' object is not subscriptable")
        }
    }

    /// Whether jinja2 would produce a `Markup` string here. Tracked on the expression
    /// rather than the value: only `x|safe + y` chains in real templates depend on it.
    static func isMarkup(_ expr: Expr) -> Bool {
        switch expr {
        case .filter(_, let filter): return ["safe", "escape", "e", "forceescape"].contains(filter.name)
        case .binary("+", let lhs, let rhs, _): return isMarkup(lhs) || isMarkup(rhs)
        default: return false
        }
    }
}
