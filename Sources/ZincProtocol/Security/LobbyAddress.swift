/// Where a certified node's lobby listens (docs/protocol.md §24), derived from the addresses
/// other nodes already know, so that no message has to carry it: for TCP the port after the
/// PULL port (PUB `P`, PULL `P+1`, lobby `P+2`) and the port after the admin port; for `ipc`
/// the address with `.lobby` appended in place of `.pull`. (Certified nodes refuse `inproc`,
/// which has no CURVE handshake; its addresses derive the same way.)
package enum LobbyAddress {
    /// The lobby of the host whose PUB endpoint is `publish`.
    package static func ofHost(publish: String) -> String? {
        shifted(publish, by: 2) ?? local(publish, dropping: nil)
    }

    /// The lobby of the host whose PULL endpoint is `pull`.
    package static func ofHost(pull: String) -> String? {
        shifted(pull, by: 1) ?? local(pull, dropping: ".pull")
    }

    /// The lobby of the node whose admin endpoint is `admin`.
    package static func ofAdmin(_ admin: String) -> String? {
        shifted(admin, by: 1) ?? local(admin, dropping: nil)
    }

    private static func shifted(_ endpoint: String, by offset: Int) -> String? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":"),
              let port = Int(endpoint[endpoint.index(after: colon)...]), port > 0, port + offset <= 65535
        else { return nil }
        return "\(endpoint[..<colon]):\(port + offset)"
    }

    private static func local(_ endpoint: String, dropping suffix: String?) -> String? {
        guard endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") else { return nil }
        if let suffix, endpoint.hasSuffix(suffix) { return String(endpoint.dropLast(suffix.count)) + ".lobby" }
        return endpoint + ".lobby"
    }
}
