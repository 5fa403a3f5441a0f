/// Macros and `{% call %}` blocks. A macro closes over the frame it was defined in and
/// binds its parameters in a fresh child frame per call, as jinja2 does.
extension Interpreter {
    func makeMacro(_ definition: MacroDefinition, closure: Frame) -> JinjaFunction {
        JinjaFunction(definition.name) { arguments, interpreter in
            try interpreter.invoke(definition, closure: closure, arguments)
        }
    }

    private func invoke(_ macro: MacroDefinition, closure: Frame, _ arguments: JinjaArguments) throws -> JinjaValue {
        callDepth += 1
        defer { callDepth -= 1 }
        guard callDepth <= Interpreter.maxCallDepth else {
            throw JinjaError.runtime("maximum macro call depth (\(Interpreter.maxCallDepth)) exceeded in '\(macro.name)'")
        }
        let names = Set(macro.parameters.map(\.name))
        guard arguments.positional.count <= macro.parameters.count else {
            throw JinjaError.runtime(
                "macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
        }
        let scope = Frame(parent: closure)
        for (name, value) in arguments.named where !names.contains(name) {
            guard name == "caller" else {
                throw JinjaError.runtime("macro '\(macro.name)' takes no keyword argument '\(name)'")
            }
            scope.set("caller", value)
        }
        for (i, parameter) in macro.parameters.enumerated() {
            if let value = arguments.value(parameter.name, at: i) {
                scope.set(parameter.name, value)
            } else if let defaultValue = parameter.defaultValue {
                scope.set(parameter.name, try evaluate(defaultValue, in: scope))
            } else {
                scope.set(parameter.name, .undefined(.hint("parameter \(JinjaValue.string(parameter.name).repr) was not provided")))
            }
        }
        return .string(try capture(macro.body, in: scope))
    }

    /// The call's callee gets a `caller` keyword that renders the block body.
    func renderCallBlock(_ call: Expr, parameters: [Parameter], body: [Node], in frame: Frame) throws {
        guard case .call(let callee, let argumentExprs, _) = call else { return }
        let definition = MacroDefinition(name: "caller", parameters: parameters, body: body)
        var arguments = try evaluateArguments(argumentExprs, in: frame)
        arguments.named.append(("caller", .function(makeMacro(definition, closure: frame))))
        output += try self.call(try evaluate(callee, in: frame), arguments).text
    }
}
