import Foundation
package import ZeroMQ
import ZincProtocol

/// Talks to a node's admin interface: one JSON request, one JSON reply, with a deadline.
///
/// Each request uses a fresh REQ socket, so a lost reply (the node died mid-request) never
/// leaves the client stuck in REQ's send/receive lock-step.
package struct AdminClient: Sendable {
    package let address: String
    package var timeout: Duration
    /// The cluster key, for the admin socket of a keyed node.
    package var key: ClusterKey?
    /// The client's certificate, for the admin socket of a certified node: the node's own key
    /// is fetched from the admin lobby first (docs/protocol.md §24).
    package var identity: NodeIdentity?
    let context: Context

    package init(address: String, timeout: Duration = .seconds(3), key: ClusterKey? = nil, context: Context? = nil) {
        self.address = address
        self.timeout = timeout
        self.key = key
        self.context = context ?? SharedContext.context
    }

    /// Sends `request` and returns the node's reply; throws ``AdminClientError`` if the node
    /// cannot be reached, does not answer in time, answers garbage, or reports an error.
    package func send(_ request: AdminRequest) throws -> AdminReply {
        let socket = try Socket(.req, context: context)
        defer { socket.close() }
        try socket.setOption(.linger, .zero)
        try configureSecurity(socket)
        socket.maximumMessageBytes = 64 << 20
        do {
            try socket.connect(address)
        } catch {
            throw AdminClientError.unreachable(address, error.message)
        }
        try socket.send(Array(try JSONEncoder.admin.encode(request)))
        guard let frames = try socket.receiveMessage(timeout: timeout), let body = frames.last else {
            throw AdminClientError.noAnswer(address, timeout)
        }
        let reply: AdminReply
        do {
            reply = try JSONDecoder().decode(AdminReply.self, from: Data(body))
        } catch {
            throw AdminClientError.badReply(address)
        }
        guard reply.ok else { throw AdminClientError.refused(reply.error ?? "the node refused the request") }
        return reply
    }

    /// The reply's raw JSON, for `--json` output that must pass through unchanged.
    package func sendRaw(_ request: AdminRequest) throws -> [UInt8] {
        let socket = try Socket(.req, context: context)
        defer { socket.close() }
        try socket.setOption(.linger, .zero)
        try configureSecurity(socket)
        try socket.connect(address)
        try socket.send(Array(try JSONEncoder.admin.encode(request)))
        guard let frames = try socket.receiveMessage(timeout: timeout), let body = frames.last else {
            throw AdminClientError.noAnswer(address, timeout)
        }
        return body
    }

    /// Makes `socket` a CURVE client of the node: with the cluster key, or with this client's
    /// certificate and the node's, asked of its admin lobby.
    private func configureSecurity(_ socket: Socket) throws {
        try key?.configureClient(socket)
        guard let identity else { return }
        guard let lobby = LobbyAddress.ofAdmin(address) else {
            throw AdminClientError.unreachable(address, "no lobby address can be derived from it (use tcp://HOST:PORT or ipc://PATH)")
        }
        do {
            try identity.configureClient(socket, server: try identity.askLobby(lobby, context: context, timeout: timeout))
        } catch let error as LobbyAskError {
            throw AdminClientError.refused(error.description)
        }
    }

    package func status() throws -> EndpointStatus {
        guard let status = try send(.status).status else { throw AdminClientError.badReply(address) }
        return status
    }

    package func document(_ id: String, at version: VersionVector? = nil) throws -> DocumentContent {
        guard let document = try send(.document(id, at: version)).document else { throw AdminClientError.badReply(address) }
        return document
    }

    /// Trims `id`'s history below what every neighbour of the node holds; returns whether any
    /// was dropped, and the document after.
    package func trim(_ id: String) throws -> (trimmed: Bool, document: DocumentContent) {
        let reply = try send(.trim(id))
        guard let document = reply.document else { throw AdminClientError.badReply(address) }
        return (reply.trimmed ?? false, document)
    }

    package func history(_ id: String) throws -> [HistoryLine] {
        guard let history = try send(.history(id)).history else { throw AdminClientError.badReply(address) }
        return history
    }
}

/// Why an admin request failed, in one line a user can act on.
package enum AdminClientError: Error, CustomStringConvertible, Sendable {
    case unreachable(String, String)
    case noAnswer(String, Duration)
    case badReply(String)
    case refused(String)

    package var description: String {
        switch self {
        case .unreachable(let address, let reason): "cannot reach the admin interface at \(address): \(reason)"
        case .noAnswer(let address, let timeout): "no answer from \(address) within \(timeout) (is a zinc node serving its admin interface there?)"
        case .badReply(let address): "\(address) answered with something that is not a Zinc admin reply"
        case .refused(let reason): reason
        }
    }
}
