@testable import ZincCore

/// The YjsMod/FugueMax list CRDT written the slow, obvious way (one array entry per item,
/// linear searches), after Gentle's reference implementation: the model the B-tree must match.
struct ReferenceSequence {
    struct Item {
        var id: ItemID
        var originLeft: ItemID
        var originRight: ItemID
        var isDeleted: Bool
        var value: UInt32
    }

    var items: [Item] = []

    var visible: [UInt32] { items.filter { !$0.isDeleted }.map(\.value) }

    func index(of id: ItemID) -> Int? { id.isNone ? nil : items.firstIndex { $0.id == id } }

    mutating func integrate(_ item: Item, precedes: (UInt32, UInt32) -> Bool) {
        let left = item.originLeft.isNone ? -1 : index(of: item.originLeft)!
        let right = item.originRight.isNone ? items.count : index(of: item.originRight)!
        var destination = left + 1
        var scanning = false
        var i = destination
        while true {
            if !scanning { destination = i }
            if i == items.count || i == right { break }
            let other = items[i]
            let otherLeft = other.originLeft.isNone ? -1 : index(of: other.originLeft)!
            let otherRight = other.originRight.isNone ? items.count : index(of: other.originRight)!
            if otherLeft < left { break }
            if otherLeft == left {
                if otherRight < right {
                    scanning = true
                } else if otherRight == right {
                    if precedes(item.id.replica, other.id.replica) { break }
                    scanning = false
                } else {
                    scanning = false
                }
            }
            i += 1
        }
        items.insert(item, at: destination)
    }

    mutating func delete(_ id: ItemID) {
        if let i = index(of: id) { items[i].isDeleted = true }
    }
}
