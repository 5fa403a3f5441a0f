import Foundation

/// Python methods templates call on values (`content.split('</think>')`, `d.items()`).
/// Mutating list and dict methods fail as in HF's ImmutableSandboxedEnvironment.
enum Methods {
    private static let unsafeList: Set<String> = ["append", "pop", "insert", "extend", "remove", "clear",
                                                  "sort", "reverse"]
    private static let unsafeDict: Set<String> = ["update", "pop", "popitem", "setdefault", "clear"]

    static func bind(_ name: String, to value: JinjaValue) -> JinjaValue? {
        switch value {
        case .string(let s):
            guard StringMethods.names.contains(name) else { return nil }
            return .function(JinjaFunction(name) { args, _ in try StringMethods.call(name, on: s, args) })
        case .object(let object):
            if unsafeDict.contains(name) { return unsafe(name, "dict") }
            guard ["get", "items", "keys", "values"].contains(name) else { return nil }
            return .function(JinjaFunction(name) { args, _ in try dictMethod(name, object, args) })
        case .array(let items):
            if unsafeList.contains(name) { return unsafe(name, "list") }
            guard name == "index" || name == "count" else { return nil }
            return .function(JinjaFunction(name) { args, _ in
                guard let needle = args.positional.first else {
                    throw JinjaError.runtime("\(name)() takes exactly one argument")
                }
                if name == "count" { return .int(items.filter { $0.looselyEquals(needle) }.count) }
                guard let i = items.firstIndex(where: { $0.looselyEquals(needle) }) else {
                    throw JinjaError.runtime("\(needle.repr) is not in list")
                }
                return .int(i)
            })
        default:
            return nil
        }
    }

    private static func unsafe(_ name: String, _ type: String) -> JinjaValue {
        .function(JinjaFunction(name) { _, _ in
            throw JinjaError.runtime("access to attribute '\(name)' of '\(type)' object is unsafe.")
        })
    }

    private static func dictMethod(_ name: String, _ object: JinjaObject, _ args: JinjaArguments) throws -> JinjaValue {
        switch name {
        case "get":
            guard let key = args.positional.first else { throw JinjaError.runtime("get expected at least 1 argument") }
            let fallback = args.positional.count > 1 ? args.positional[1] : .none
            return object[JinjaObject.storageKey(key)] ?? fallback
        case "items": return .array(object.pairs.map { .array([JinjaObject.keyValue($0.key), $0.value]) })
        case "keys": return .array(object.keys.map(JinjaObject.keyValue))
        default: return .array(object.values)
        }
    }
}
