/// Turns a bind address into the pair of endpoints a host binds (PUB and PULL).
enum AddressPlan {
    struct BindError: Error, CustomStringConvertible {
        let description: String
    }

    /// `tcp://h:P` → (`tcp://h:P`, `tcp://h:P+1`); `tcp://h:*` → both wildcard;
    /// `ipc://path` and `inproc://name` → the PULL endpoint adds `.pull`.
    static func bindPair(_ address: String) throws(BindError) -> (publish: String, pull: String) {
        if address.hasPrefix("tcp://") {
            guard let colon = address.lastIndex(of: ":"), colon > address.index(address.startIndex, offsetBy: 5) else {
                throw BindError(description: "\(address): a TCP address needs a port, as in tcp://127.0.0.1:7000 or tcp://127.0.0.1:*")
            }
            let host = address[..<colon]
            let port = address[address.index(after: colon)...]
            if port == "*" { return (address, address) }
            guard let number = Int(port), number > 0, number < 65535 else {
                throw BindError(description: "\(address): the port must be 1–65534 (the next one is used too) or *")
            }
            return (address, "\(host):\(number + 1)")
        }
        if address.hasPrefix("ipc://") || address.hasPrefix("inproc://") {
            return (address, address + ".pull")
        }
        throw BindError(description: "\(address): use tcp://HOST:PORT, ipc://PATH or inproc://NAME")
    }

    /// Checks an admin address: loopback TCP, ipc or inproc, unless `allowRemote`.
    static func checkAdmin(_ address: String, allowRemote: Bool) throws(BindError) {
        if address.hasPrefix("ipc://") || address.hasPrefix("inproc://") { return }
        guard let host = TCPHost.of(address) else {
            throw BindError(description: "\(address): use tcp://127.0.0.1:PORT, ipc://PATH or inproc://NAME")
        }
        guard TCPHost.isLoopback(host) || allowRemote else {
            throw BindError(description: "\(address): the admin interface binds to loopback (127.0.0.1) or ipc only; it has no authentication of its own")
        }
    }

    /// Replaces the host of a resolved TCP endpoint (for wildcard binds on 0.0.0.0).
    static func advertise(_ endpoint: String, host: String?) -> String {
        guard let host, endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return endpoint }
        return "tcp://\(host)\(endpoint[colon...])"
    }
}
