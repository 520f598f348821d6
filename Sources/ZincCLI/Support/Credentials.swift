import ArgumentParser
import ZeroMQ
import Zinc
import ZincProtocol

/// How a client proves itself to a keyed or certified node: `--key`, or `--cert` with
/// `--trust` (the same options as `zinc node`).
struct Credentials: ParsableArguments {
    @Option(help: "The cluster key file, for a keyed node.") var key: String?
    @Option(help: "This client's certificate (zinc cert issue), for a certified node.") var cert: String?
    @Option(help: "An authority's public key file to trust, with --cert (repeatable).") var trust: [String] = []

    func validate() throws {
        if cert != nil && key != nil { throw ValidationError("give --key or --cert, not both") }
        if cert != nil && trust.isEmpty { throw ValidationError("--cert needs at least one --trust authority.pub") }
    }

    /// The cluster key, if given.
    func clusterKey() throws -> ClusterKey? { try Self.loadClusterKey(key) }

    /// Reads `--key FILE`, turning any problem into one clear line.
    static func loadClusterKey(_ path: String?) throws -> ClusterKey? {
        guard let path else { return nil }
        do {
            return try ClusterKey(contentsOf: path)
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// The client's certified identity, if given.
    func identity() throws -> NodeIdentity? {
        guard let cert else { return nil }
        do {
            return try NodeIdentity(certificate: cert, trusting: trust)
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// A client of the admin interface at `admin` (an address or a port).
    func adminClient(_ admin: String, timeout: Double) throws -> AdminClient {
        var client = AdminClient(address: try AdminAddress.resolve(admin), timeout: .milliseconds(Int64(timeout * 1000)), key: try clusterKey())
        client.identity = try identity()
        return client
    }

    /// Makes `socket` a client of the host whose PUB endpoint is `publish`.
    func configureSubscriber(_ socket: Socket, publish: String, context: Context) throws {
        try clusterKey()?.configureClient(socket)
        guard let identity = try identity() else { return }
        guard let lobby = LobbyAddress.ofHost(publish: publish) else { throw CLIError("\(publish): a certified host is reached at tcp://HOST:PORT or ipc://PATH") }
        do {
            try identity.configureClient(socket, server: try identity.askLobby(lobby, context: context, timeout: .seconds(3)))
        } catch let error as LobbyAskError {
            throw CLIError(error.description)
        }
    }
}
