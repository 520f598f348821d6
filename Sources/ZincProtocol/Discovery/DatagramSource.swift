/// Where a datagram came from: an IPv4 address and UDP port, as the shell read them.
package struct DatagramSource: Sendable, Hashable, CustomStringConvertible {
    /// Dotted-quad IPv4 address.
    package var host: String
    package var port: UInt16

    package init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    package var isLoopback: Bool { host.hasPrefix("127.") }
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
        let scheme = "tcp://"
        guard address.hasPrefix(scheme) else { return source.isLoopback ? address : nil }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        let host = address[address.index(address.startIndex, offsetBy: scheme.count)..<colon]
        if host == "*" || host == "0.0.0.0" { return "\(scheme)\(source.host)\(address[colon...])" }
        let loopback = host.hasPrefix("127.") || host == "localhost" || host == "[::1]"
        if loopback && !source.isLoopback { return nil }
        return address
    }
}
