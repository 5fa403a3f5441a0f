import Foundation

/// The functions every render sees: jinja2's `range`, `namespace`, `dict`, plus the
/// two transformers adds, `raise_exception` and `strftime_now`.
enum Globals {
    static let maxRange = 1_000_000

    static func make(now: Date, utc: Bool) -> [String: JinjaValue] {
        [
            "range": .function(JinjaFunction("range", range)),
            "namespace": .function(JinjaFunction("namespace") { args, _ in
                var object = JinjaObject()
                if case .object(let initial)? = args.positional.first { object = initial }
                for (key, value) in args.named { object[key] = value }
                return .namespace(JinjaNamespace(object))
            }),
            "dict": .function(JinjaFunction("dict") { args, _ in
                var object = JinjaObject()
                if case .object(let initial)? = args.positional.first { object = initial }
                for (key, value) in args.named { object[key] = value }
                return .object(object)
            }),
            "raise_exception": .function(JinjaFunction("raise_exception") { args, _ in
                throw JinjaError.raised(args.value("message", at: 0)?.text ?? "")
            }),
            "strftime_now": .function(JinjaFunction("strftime_now") { args, _ in
                .string(Strftime.format(args.value("format", at: 0)?.text ?? "", now, utc: utc))
            }),
        ]
    }

    private static func range(_ args: JinjaArguments, _ interpreter: Interpreter) throws -> JinjaValue {
        let ints = try args.positional.map { value -> Int in
            guard let i = value.asInt else { throw JinjaError.runtime("range() arguments must be integers") }
            return i
        }
        let (start, stop, step): (Int, Int, Int)
        switch ints.count {
        case 1: (start, stop, step) = (0, ints[0], 1)
        case 2: (start, stop, step) = (ints[0], ints[1], 1)
        case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
        default: throw JinjaError.runtime("range expected 1 to 3 arguments, got \(ints.count)")
        }
        guard step != 0 else { throw JinjaError.runtime("range() arg 3 must not be zero") }
        let values = Swift.stride(from: start, to: stop, by: step)
        guard (Double(stop) - Double(start)) / Double(step) <= Double(maxRange) else {
            throw JinjaError.runtime("range too big (more than \(maxRange) items)")
        }
        return .array(values.map { .int($0) })
    }
}
