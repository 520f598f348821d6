/// Where a datagram came from: an IPv4 address and UDP port, as the shell read them.
package struct DatagramSource: Sendable, Hashable, CustomStringConvertible {
    /// Dotted-quad IPv4 address.
    package var host: String
    package var port: UInt16

    package init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    package var isLoopback: Bool { TCPHost.isLoopback(host[...]) }
    package var description: String { "\(host):\(port)" }
}

extension Endpoints {
    /// These endpoints as a node that heard them from `source` can reach them: a wildcard host
    /// becomes the source's address; a loopback host heard from another machine is unreachable
    /// (nil). Addresses that are not TCP are kept as they are (ipc works on one machine only,
    /// and only loopback hears it).
    package func reachable(from source: DatagramSource) -> Endpoints? {
        guard let publish = Self.reachable(publish, from: source), let pull = Self.reachable(pull, from: source) else { return nil }
        return Endpoints(publish: publish, pull: pull)
    }

    private static func reachable(_ address: String, from source: DatagramSource) -> String? {
        guard address.hasPrefix("tcp://") else { return source.isLoopback ? address : nil }
        guard let host = TCPHost.of(address) else { return nil }
        if TCPHost.isWildcard(host) { return "tcp://\(source.host)\(address[host.endIndex...])" }
        if TCPHost.isLoopback(host) && !source.isLoopback { return nil }
        return address
    }
}
