/// The host part of ZeroMQ endpoint strings (`tcp://HOST:PORT`), in one place: failover
/// compares machines by it, discovery resolves wildcards and refuses unreachable loopback
/// addresses by it, and the shell picks broadcast targets and checks admin addresses by it.
package enum TCPHost {
    /// `HOST` of `tcp://HOST:PORT`; nil for another transport or no port.
    package static func of(_ endpoint: String) -> Substring? {
        let scheme = "tcp://"
        guard endpoint.hasPrefix(scheme), let colon = endpoint.lastIndex(of: ":"),
              colon >= endpoint.index(endpoint.startIndex, offsetBy: scheme.count)
        else { return nil }
        return endpoint[endpoint.index(endpoint.startIndex, offsetBy: scheme.count)..<colon]
    }

    /// True for a host only this machine can reach.
    package static func isLoopback(_ host: Substring) -> Bool {
        host.hasPrefix("127.") || host == "localhost" || host == "[::1]" || host == "::1"
    }

    /// True for a wildcard bind host (any interface).
    package static func isWildcard(_ host: Substring) -> Bool {
        host == "*" || host == "0.0.0.0"
    }
}
