/// A failure of a cluster run the user can act on (a node that exited, a tree that never formed).
package struct ClusterError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
