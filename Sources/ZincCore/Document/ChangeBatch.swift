/// A batch of changes to a document, as one edit or one merge produced them.
public struct ChangeBatch: Sendable, Hashable {
    /// Who made them.
    public var origin: ChangeOrigin
    /// What changed, in order; apply them in order to keep a view in step.
    public var changes: [DocumentChange]
    /// The document's version after the batch.
    public var version: VersionVector

    package init(origin: ChangeOrigin, changes: [DocumentChange], version: VersionVector) {
        self.origin = origin
        self.changes = changes
        self.version = version
    }
}
