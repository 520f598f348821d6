import ZeroMQ
import ZincProtocol

/// The sockets a certified node adds, and the configurations it refuses (docs/security.md,
/// "Node certificates").
enum CertifiedPlan {
    /// Refuses what a certified node cannot do: a cluster key as well, a reader that hosts,
    /// a bind address its lobby's address cannot be derived from.
    static func check(_ configuration: EndpointConfiguration, identity: NodeIdentity) throws(EndpointError) {
        guard configuration.key == nil else {
            throw EndpointError(.securityFailed, "a node uses a cluster key or a certificate, not both")
        }
        for address in [configuration.bind, configuration.admin].compactMap({ $0 }) where address.hasPrefix("inproc://") {
            throw EndpointError(.invalidAddress, "\(address): a certified node uses tcp or ipc (inproc connections carry no CURVE handshake, so no certificate)")
        }
        guard let bind = configuration.bind else { return }
        guard identity.role == .member else {
            throw EndpointError(.securityFailed, "\(identity.name) is certified as a reader: readers never host, so it cannot bind \(bind)")
        }
        guard let publish = try? AddressPlan.bindPair(bind).publish, LobbyAddress.ofHost(publish: publish) != nil else {
            throw EndpointError(.invalidAddress, "\(bind): a certified node binds a fixed TCP port P (PUB P, PULL P+1, lobby P+2) or an ipc address")
        }
    }

    /// The lobby: where peers present their certificates and learn this node's
    /// (docs/protocol.md §24). Bound next to the host sockets and next to the admin socket.
    static func bindLobby(_ configuration: EndpointConfiguration, context: Context) throws(EndpointError) -> Socket? {
        guard configuration.identity != nil else { return nil }
        var addresses: [String] = []
        if let bind = configuration.bind, let publish = try? AddressPlan.bindPair(bind).publish, let lobby = LobbyAddress.ofHost(publish: publish) {
            addresses.append(lobby)
        }
        if let admin = configuration.admin, let lobby = LobbyAddress.ofAdmin(admin) { addresses.append(lobby) }
        guard !addresses.isEmpty else { return nil }
        let socket: Socket
        do {
            socket = try Socket(.router, context: context)
            try socket.setOption(.linger, .zero)
            try socket.setOption(.maximumMessageSize, Int64(LobbyFrame.maxBytes))
            socket.maximumFrames = 2
        } catch {
            throw EndpointError(.transportFailed, "cannot make the lobby socket: \(error.message)")
        }
        for address in addresses {
            do throws(ZMQError) {
                try socket.bind(address)
            } catch {
                socket.close()
                throw EndpointError.cannotBind(address, error)
            }
        }
        return socket
    }
}
