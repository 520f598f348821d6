@testable import ZincCore

/// Random edits over every container type, driven by a seeded generator, shared by the
/// convergence and law tests.
enum RandomEditing {
    static let text = TextRef.main
    static let list = ListRef("list")
    static let map = MapRef("map")
    static let nested = MapRef("map").child("notes", as: TextRef.self)
    static let counter = CounterRef("counter")
    static let set = SetRef("set")
    static let register = RegisterRef("register")
    static let multi = MultiValueRegisterRef("multi")

    /// Performs one random local edit chosen by `choice` (any integer) on `document`.
    static func edit(_ document: inout Document, choice: Int, random: inout SeededRandom) {
        let words = ["a", "bc", "def", "😀", "中文", "x\ny", " "]
        let word = words[random.int(0..<words.count)]
        do {
            switch abs(choice) % 16 {
            case 0, 1, 2, 3:
                try document.insert(word, at: random.int(0..<(document.length(of: text) + 1)), in: text)
            case 4, 5:
                let length = document.length(of: text)
                guard length > 0 else { return }
                let start = random.int(0..<length)
                try document.delete(start..<min(length, start + random.int(1..<4)), in: text)
            case 6:
                try document.insert([.string(word), .int(Int64(random.int(0..<100)))], at: random.int(0..<(document.count(of: list) + 1)), in: list)
            case 7:
                let count = document.count(of: list)
                guard count > 0 else { return }
                let start = random.int(0..<count)
                try document.delete(start..<min(count, start + 2), in: list)
            case 8:
                try document.set(["k1", "k2", "k3"][random.int(0..<3)], to: .string(word), in: map)
            case 9:
                if random.chance(0.5) { try document.remove(["k1", "k2", "k3"][random.int(0..<3)], in: map) } else {
                    _ = try document.setContainer("notes", .text, in: map)
                }
            case 10:
                try document.insert(word, at: random.int(0..<(document.length(of: nested) + 1)), in: nested)
            case 11:
                try document.increment(counter, by: Int64(random.int(-5..<6)))
            case 12:
                let value = Value.string(["red", "green", "blue"][random.int(0..<3)])
                if random.chance(0.6) { try document.add(value, to: set) } else { try document.remove(value, from: set) }
            case 13:
                try document.set(.int(Int64(random.int(0..<1000))), in: register)
            case 14:
                try document.set(.string(word), in: multi)
            default:
                if random.chance(0.5) { try document.undo() } else { try document.redo() }
            }
        } catch {
            preconditionFailure("random edit failed: \(error)")
        }
    }
}
