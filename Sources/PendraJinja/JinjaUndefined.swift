/// What an undefined value stands for, so that using it raises jinja2's own
/// message: `'functions' is undefined`, `'str object' has no attribute 'items'`,
/// `list object has no element 5` (jinja2's `Undefined._undefined_message`).
/// Printing, testing or iterating one stays silent, as with jinja2's default
/// `Undefined`; arithmetic, comparison, calls and attribute access raise.
public struct JinjaUndefined: Sendable {
    /// The message jinja2's UndefinedError carries when this value is used.
    public let message: String

    /// A hint that is the whole message (`loop.previtem`, `first` of an empty list).
    public static func hint(_ message: String) -> JinjaUndefined { JinjaUndefined(message: message) }

    /// A name not found in the context.
    public static func name(_ name: String) -> JinjaUndefined {
        JinjaUndefined(message: "\(JinjaValue.string(name).repr) is undefined")
    }

    /// `obj.name` or `obj["name"]` where obj has no such member.
    public static func attribute(_ name: String, of object: JinjaValue) -> JinjaUndefined {
        JinjaUndefined(message: "\(JinjaValue.string(objectTypeRepr(object)).repr) has no attribute \(JinjaValue.string(name).repr)")
    }

    /// `obj[key]` with a non-string key (a list index out of range).
    public static func element(_ key: JinjaValue, of object: JinjaValue) -> JinjaUndefined {
        JinjaUndefined(message: "\(objectTypeRepr(object)) has no element \(key.repr)")
    }

    /// jinja2.utils.object_type_repr: "None", or "<class name> object".
    static func objectTypeRepr(_ value: JinjaValue) -> String {
        switch value {
        case .none: return "None"
        case .namespace: return "jinja2.utils.Namespace object"
        case .undefined: return "jinja2.runtime.Undefined object"
        default: return "\(value.typeName) object"
        }
    }

    /// The UndefinedError to throw when the value is used.
    var error: JinjaError { .runtime(message) }
}
