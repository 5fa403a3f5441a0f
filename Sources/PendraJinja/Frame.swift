/// One variable scope. Loops and macro calls push a child frame; `set` writes to the
/// innermost one, so assignments inside a loop body do not leak out (jinja2's rule,
/// which is why templates use `namespace()` to carry state out of loops).
/// Frames belong to a single render on a single thread, hence the unchecked Sendable:
/// macros capture their defining frame inside `JinjaFunction` closures.
final class Frame: @unchecked Sendable {
    private var variables: [String: JinjaValue]
    let parent: Frame?

    init(_ variables: [String: JinjaValue] = [:], parent: Frame? = nil) {
        self.variables = variables
        self.parent = parent
    }

    func lookup(_ name: String) -> JinjaValue? {
        var frame: Frame? = self
        while let current = frame {
            if let value = current.variables[name] { return value }
            frame = current.parent
        }
        return nil
    }

    func set(_ name: String, _ value: JinjaValue) {
        variables[name] = value
    }
}
