import ZincProtocol

/// Finding a tree by its cluster's name instead of by address (docs/protocol.md,
/// "Discovery"): a hosting node announces itself over UDP broadcast on its machine and its LAN
/// segments, and a node that starts alone joins the tree it hears.
///
/// ```swift
/// var configuration = EndpointConfiguration()
/// configuration.bind = "tcp://0.0.0.0:*"
/// configuration.discover = Discovery(cluster: "notes")
/// ```
///
/// A heard announcement only says where to connect: in a keyed cluster the CURVE handshake
/// still decides who is admitted (docs/security.md, "Discovery").
public struct Discovery: Sendable, Hashable {
    /// The cluster's name, 1–64 bytes of UTF-8 without NUL. Nodes of other names ignore each
    /// other.
    public var cluster: String
    /// The UDP port every node of the cluster announces on and listens to.
    public var port: UInt16

    /// The UDP port discovery uses unless told otherwise.
    public static let defaultPort: UInt16 = DiscoveryDatagram.defaultPort

    /// Discovery of the cluster named `cluster` on `port`.
    public init(cluster: String, port: UInt16 = Discovery.defaultPort) {
        self.cluster = cluster
        self.port = port
    }

    /// True if `name` can name a cluster.
    public static func isValidName(_ name: String) -> Bool { ClusterName.isValid(name) }
}
