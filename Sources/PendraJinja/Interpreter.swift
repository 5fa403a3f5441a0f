import Foundation

/// Walks the AST and writes output. One interpreter per render: it owns the output
/// buffer and the safety counters, so templates cannot recurse or loop without bound.
final class Interpreter {
    /// How a statement list ended: normally, or through `{% break %}` / `{% continue %}`.
    enum Flow { case normal, breakLoop, continueLoop }

    static let maxCallDepth = 100
    static let maxIterations = 1_000_000

    var output = ""
    var callDepth = 0
    var iterations = 0

    func render(_ nodes: [Node], in frame: Frame) throws -> Flow {
        for node in nodes {
            let flow = try render(node, in: frame)
            if flow != .normal { return flow }
        }
        return .normal
    }

    /// Renders into a fresh buffer and returns what was written (block set, filter
    /// blocks, macro bodies).
    func capture(_ nodes: [Node], in frame: Frame) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        _ = try render(nodes, in: frame)
        return output
    }

    private func render(_ node: Node, in frame: Frame) throws -> Flow {
        switch node {
        case .text(let text):
            output += text
        case .output(let expr):
            output += try evaluate(expr, in: frame).text
        case .ifBlock(let branches, let otherwise):
            for branch in branches where try evaluate(branch.condition, in: frame).isTruthy {
                return try render(branch.body, in: frame)
            }
            return try render(otherwise, in: frame)
        case .forLoop(let loop):
            try renderFor(loop, in: frame)
        case .set(let target, let value):
            try assign(try evaluate(value, in: frame), to: target, in: frame)
        case .setBlock(let target, let filters, let body):
            var value = JinjaValue.string(try capture(body, in: frame))
            for filter in filters { value = try applyFilter(filter, to: value, in: frame) }
            try assign(value, to: target, in: frame)
        case .macro(let definition):
            frame.set(definition.name, .function(makeMacro(definition, closure: frame)))
        case .callBlock(let call, let parameters, let body):
            try renderCallBlock(call, parameters: parameters, body: body, in: frame)
        case .filterBlock(let filters, let body):
            var value = JinjaValue.string(try capture(body, in: frame))
            for filter in filters { value = try applyFilter(filter, to: value, in: frame) }
            output += value.text
        case .block(let body):
            return try render(body, in: frame)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    func assign(_ value: JinjaValue, to target: Target, in frame: Frame) throws {
        switch target {
        case .name(let name):
            frame.set(name, value)
        case .attribute(let name, let attribute):
            guard case .namespace(let ns)? = frame.lookup(name) else {
                throw JinjaError.runtime("cannot assign attribute on non-namespace object '\(name)'")
            }
            ns.object[attribute] = value
        case .tuple(let names):
            let items = try iterate(value)
            guard items.count == names.count else {
                throw JinjaError.runtime("cannot unpack \(items.count) values into \(names.count) names")
            }
            for (name, item) in zip(names, items) { frame.set(name, item) }
        }
    }

    private func renderFor(_ loop: ForLoop, in frame: Frame) throws {
        var items = try iterate(try evaluate(loop.iterable, in: frame))
        if let filter = loop.filter {
            items = try items.filter { item in
                let scope = Frame(parent: frame)
                try assign(item, to: loop.target, in: scope)
                return try evaluate(filter, in: scope).isTruthy
            }
        }
        if items.isEmpty {
            _ = try render(loop.otherwise, in: frame)
            return
        }
        let count = items.count
        for (i, item) in items.enumerated() {
            iterations += 1
            if iterations > Interpreter.maxIterations {
                throw JinjaError.runtime("loop iteration limit (\(Interpreter.maxIterations)) exceeded")
            }
            let scope = Frame(parent: frame)
            try assign(item, to: loop.target, in: scope)
            scope.set("loop", loopObject(index: i, count: count, items: items))
            if try render(loop.body, in: scope) == .breakLoop { break }
        }
    }

    /// jinja2's `loop` variable. `cycle` picks by position, like `LoopContext.cycle`.
    private func loopObject(index i: Int, count: Int, items: [JinjaValue]) -> JinjaValue {
        var loop = JinjaObject()
        loop["index"] = .int(i + 1)
        loop["index0"] = .int(i)
        loop["revindex"] = .int(count - i)
        loop["revindex0"] = .int(count - i - 1)
        loop["first"] = .bool(i == 0)
        loop["last"] = .bool(i == count - 1)
        loop["length"] = .int(count)
        loop["depth"] = .int(1)
        loop["depth0"] = .int(0)
        loop["previtem"] = i > 0 ? items[i - 1] : .undefined(.hint("there is no previous item"))
        loop["nextitem"] = i + 1 < count ? items[i + 1] : .undefined(.hint("there is no next item"))
        loop["cycle"] = .function(JinjaFunction("cycle") { args, _ in
            guard !args.positional.isEmpty else { throw JinjaError.runtime("no items for cycling given") }
            return args.positional[i % args.positional.count]
        })
        return .object(loop)
    }

    /// What `for` iterates: list items, dict keys, string characters; Undefined is empty.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        try Interpreter.iterateStatic(value)
    }

    static func iterateStatic(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .array(let items): return items
        case .object(let object): return object.keys.map(JinjaObject.keyValue)
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw JinjaError.runtime("'\(value.typeName)' object is not iterable")
        }
    }
}
