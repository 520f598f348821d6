/// Bounds every decoder checks before allocating, so hostile input cannot make a node allocate
/// or loop without limit. The defaults suit interactive documents; raise them for bulk data.
@usableFromInline
package struct DecodingLimits: Sendable, Hashable {
    /// The most bytes of any one string, binary value or content run.
    package var maxBytes: Int = 64 << 20
    /// The most elements of any one collection (ops in a fragment, items in a list, keys...).
    package var maxElements: Int = 4 << 20
    /// The most replicas one encoding may name.
    package var maxReplicas: Int = 1 << 20
    /// The deepest nesting of values and containers.
    package var maxDepth: Int = 64
    /// The most visible items a decoded document may hold.
    package var maxDocumentItems: Int = 64 << 20

    package init() {}

    @usableFromInline
    package static let `default` = DecodingLimits()
}
