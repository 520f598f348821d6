/// Where a node may send packed frames (docs/protocol.md §4): only to peers that said they
/// accept them (flag bit 0 of §4.2). ``NodeMachine`` announces every change with
/// ``NodeDirective/pack(_:)``, and a batching transport packs only where this allows.
package struct Packing: Sendable, Hashable {
    /// On the PUB socket: every tree child accepts packed frames.
    package var toChildren: Bool
    /// On the PUSH socket: the node is joined to a parent that accepts them.
    package var toParent: Bool

    package init(toChildren: Bool, toParent: Bool) {
        self.toChildren = toChildren
        self.toParent = toParent
    }

    /// Nowhere: where every transport starts.
    package static let nowhere = Packing(toChildren: false, toParent: false)
}
