import ZeroMQ

/// What a failed handshake most likely means, for the log: only a failure libzmq reports as an
/// authentication failure, in a keyed cluster, points at the cluster key. In an unkeyed cluster
/// a handshake fails when the peer closes mid-handshake (it died, or is not a Zinc node).
enum HandshakeFailure {
    /// Which end of the connection this node is.
    enum Side {
        /// This node connected (its SUB to the parent).
        case toParent
        /// A peer connected to this node's bound sockets.
        case fromPeer
    }

    static func describe(_ kind: SocketEvent.Kind, keyed: Bool, side: Side) -> String {
        let peer = side == .toParent ? "the parent" : "a connecting peer"
        if kind.contains(.handshakeFailedAuth) {
            return keyed
                ? "\(peer) failed authentication (do both use the same cluster key?)"
                : "\(peer) failed authentication, though this node uses no cluster key (does the other side use one?)"
        }
        if kind.contains(.handshakeFailedProtocol) {
            return keyed
                ? "the handshake with \(peer) broke the protocol (a peer without the cluster key, or not a Zinc node)"
                : "the handshake with \(peer) broke the protocol (is a Zinc node at the other end, and does it use a cluster key?)"
        }
        return keyed
            ? "the handshake with \(peer) did not complete (the connection closed midway: it died, or uses another cluster key)"
            : "the handshake with \(peer) did not complete (the connection closed midway: it may have died)"
    }
}
