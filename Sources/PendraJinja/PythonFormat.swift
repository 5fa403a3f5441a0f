/// The two Python string-formatting forms templates use: `'{}'.format(x)` and
/// `'%s' % x`. Only the common conversions are implemented; anything else is an error
/// rather than a silent difference from Python.
enum PythonFormat {
    /// `str.format`: `{}`, `{0}`, `{name}`, `{{`/`}}` escapes, with an optional `:spec`
    /// limited to fill/align/width.
    static func format(_ template: String, _ args: JinjaArguments) throws -> String {
        var out = ""
        var auto = 0
        var chars = template.makeIterator()
        while let c = chars.next() {
            if c == "}" {
                guard chars.next() == "}" else { throw JinjaError.runtime("Single '}' encountered in format string") }
                out += "}"
                continue
            }
            guard c == "{" else { out.append(c); continue }
            var field = ""
            var closed = false
            while let d = chars.next() {
                if d == "{" && field.isEmpty { out += "{"; closed = true; field = "\u{0}"; break }
                if d == "}" { closed = true; break }
                field.append(d)
            }
            guard closed else { throw JinjaError.runtime("Single '{' encountered in format string") }
            if field == "\u{0}" { continue }
            let parts = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value: JinjaValue?
            if key.isEmpty {
                value = auto < args.positional.count ? args.positional[auto] : nil
                auto += 1
            } else if let index = Int(key) {
                value = index < args.positional.count ? args.positional[index] : nil
            } else {
                value = args.named.first { $0.0 == key }?.1
            }
            guard let value else { throw JinjaError.runtime("format: missing argument '\(key)'") }
            out += parts.count > 1 ? try pad(value.text, spec: String(parts[1])) : value.text
        }
        return out
    }

    private static func pad(_ text: String, spec: String) throws -> String {
        var spec = Substring(spec)
        var align: Character = "<"
        var fill: Character = " "
        if spec.count >= 2, let second = spec.dropFirst().first, "<>^".contains(second) {
            fill = spec.first ?? " "
            align = second
            spec = spec.dropFirst(2)
        } else if let first = spec.first, "<>^".contains(first) {
            align = first
            spec = spec.dropFirst()
        }
        guard let width = spec.isEmpty ? 0 : Int(spec) else {
            throw JinjaError.runtime("unsupported format spec '\(spec)'")
        }
        let missing = max(0, width - text.count)
        switch align {
        case ">": return String(repeating: fill, count: missing) + text
        case "^": return String(repeating: fill, count: missing / 2) + text + String(repeating: fill, count: missing - missing / 2)
        default: return text + String(repeating: fill, count: missing)
        }
    }

    /// `format % values` with `%s`, `%r`, `%d`/`%i`, `%f`, `%%` and `%(name)s`.
    static func percent(_ template: String, _ values: JinjaValue) throws -> String {
        let positional: [JinjaValue]
        if case .array(let items) = values { positional = items } else { positional = [values] }
        var next = 0
        var out = ""
        var chars = Array(template)[...]
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var key: String?
            if chars.first == "(" {
                chars.removeFirst()
                var name = ""
                while let d = chars.popFirst(), d != ")" { name.append(d) }
                key = name
            }
            guard let conversion = chars.popFirst() else { throw JinjaError.runtime("incomplete format") }
            if conversion == "%" { out += "%"; continue }
            let value: JinjaValue
            if let key {
                guard case .object(let object) = values, let v = object[key] else {
                    throw JinjaError.runtime("format requires a mapping with key '\(key)'")
                }
                value = v
            } else {
                guard next < positional.count else { throw JinjaError.runtime("not enough arguments for format string") }
                value = positional[next]
                next += 1
            }
            switch conversion {
            case "s": out += value.text
            case "r": out += value.repr
            case "d", "i":
                guard let d = value.asDouble else { throw JinjaError.runtime("%d format: a real number is required") }
                out += String(Int(d))
            case "f":
                guard let d = value.asDouble else { throw JinjaError.runtime("%f format: a real number is required") }
                out += String(format: d)
            default: throw JinjaError.runtime("unsupported format character '\(conversion)'")
            }
        }
        return out
    }
}

private extension String {
    /// `%f`: six decimals, as Python.
    init(format d: Double) {
        let scaled = (abs(d) * 1_000_000).rounded()
        let whole = Int(scaled / 1_000_000)
        let frac = Int(scaled.truncatingRemainder(dividingBy: 1_000_000))
        let digits = String(frac)
        self = (d < 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: 6 - digits.count) + digits
    }
}
