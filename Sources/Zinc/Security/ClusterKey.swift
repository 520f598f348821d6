package import ZeroMQ
import Foundation

/// The cluster's CURVE identity (the Iris model: the cluster is the unit of trust). Every node
/// of a keyed cluster holds the same key file: its servers prove they hold the cluster's secret
/// key, and its clients present a key the servers admit (the cluster key, or a per-node key on
/// the allow-list).
///
/// Key file format (`zinc keygen` writes it; lines starting with `#` are comments):
/// ```
/// public-key = <40 Z85 characters>
/// secret-key = <40 Z85 characters>
/// node-public-key = <Z85>     (optional: this node's own client identity)
/// node-secret-key = <Z85>     (optional)
/// allow = <Z85>               (optional, repeatable: also admit clients with this public key)
/// ```
public struct ClusterKey: Sendable, Hashable {
    /// The servers' key pair (shared by every node).
    package var cluster: CurveKeyPair
    /// The key pair this node presents as a client (the cluster pair unless the file names one).
    package var client: CurveKeyPair
    /// Client public keys servers admit: the cluster's and any `allow` entries.
    package var allowed: Set<CurveKey>

    package init(cluster: CurveKeyPair, client: CurveKeyPair? = nil, allowed: Set<CurveKey> = []) {
        self.cluster = cluster
        self.client = client ?? cluster
        self.allowed = allowed.union([cluster.publicKey])
    }

    /// Reads a key file, checking that each public key matches its secret key.
    public init(contentsOf path: String) throws(ClusterKeyError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClusterKeyError("cannot read the key file \(path): \(error.localizedDescription)")
        }
        try self.init(parsing: text, source: path)
    }

    /// Parses the text of a key file; `source` names it in errors.
    package init(parsing text: String, source: String = "key file") throws(ClusterKeyError) {
        var fields: [String: String] = [:]
        var allowed: Set<CurveKey> = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Z85 uses '#' and '=': comments are whole lines only, and a line splits at its first '='.
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw ClusterKeyError("\(source), line \(number + 1): expected NAME = VALUE") }
            guard let key = CurveKey(z85: parts[1]) else {
                throw ClusterKeyError("\(source), line \(number + 1): \(parts[0]) is not a 40-character Z85 key")
            }
            switch parts[0] {
            case "allow": allowed.insert(key)
            case "public-key", "secret-key", "node-public-key", "node-secret-key": fields[parts[0]] = parts[1]
            default: throw ClusterKeyError("\(source), line \(number + 1): unknown field \(parts[0])")
            }
        }
        func pair(_ publicName: String, _ secretName: String) throws(ClusterKeyError) -> CurveKeyPair? {
            guard let secretText = fields[secretName] else {
                if fields[publicName] != nil { throw ClusterKeyError("\(source): \(publicName) without \(secretName)") }
                return nil
            }
            guard let secret = CurveKey(z85: secretText), let derived = try? CurveKeyPair(secretKey: secret) else {
                throw ClusterKeyError("\(source): \(secretName) is not a valid secret key")
            }
            if let publicText = fields[publicName], CurveKey(z85: publicText) != derived.publicKey {
                throw ClusterKeyError("\(source): \(publicName) does not belong to \(secretName)")
            }
            return derived
        }
        guard let cluster = try pair("public-key", "secret-key") else {
            throw ClusterKeyError("\(source): no secret-key (make one with `zinc keygen`)")
        }
        self.init(cluster: cluster, client: try pair("node-public-key", "node-secret-key"), allowed: allowed)
    }

    /// The ZAP domain of this cluster's server sockets: several keyed endpoints with different
    /// keys can share one libzmq context (and its one ZAP handler).
    var domain: String { "zinc-" + String(cluster.publicKey.z85.prefix(12)) }

    /// Makes `socket` a CURVE server for this cluster.
    func configureServer(_ socket: Socket) throws(ZMQError) {
        try socket.setOption(.zapDomain, domain)
        try socket.setOption(.curveServer, true)
        try socket.setOption(.curveSecretKey, cluster.secretKey.bytes)
    }

    /// Makes `socket` a CURVE client of this cluster's servers.
    package func configureClient(_ socket: Socket) throws(ZMQError) {
        try socket.setOption(.curveServerKey, cluster.publicKey.bytes)
        try socket.setOption(.curvePublicKey, client.publicKey.bytes)
        try socket.setOption(.curveSecretKey, client.secretKey.bytes)
    }
}

/// A key file that cannot be used, in one line.
public struct ClusterKeyError: Error, CustomStringConvertible, Sendable {
    /// What is wrong with the key file, in one line.
    public let description: String
    init(_ description: String) { self.description = description }
}
