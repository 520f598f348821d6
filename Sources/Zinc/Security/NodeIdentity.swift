import Foundation
package import ZeroMQ
package import ZincProtocol

/// A node's certified identity (docs/security.md, "Node certificates"): the certificate an
/// authority issued it (with its own CURVE key pair), the authorities it trusts, and an
/// optional revocation list. With one, every link is CURVE with per-node keys, and the node
/// applies its peers' roles and document permissions.
///
/// ```swift
/// var configuration = EndpointConfiguration()
/// configuration.identity = try NodeIdentity(certificate: "alice.cert", trusting: ["ca/authority.pub"])
/// ```
public struct NodeIdentity: Sendable {
    /// What a certified node may do.
    public enum Role: Sendable, Hashable {
        /// Receives the documents its certificate covers, never writes, never hosts.
        case reader
        /// Writes the documents its certificate covers, and may host.
        case member
    }

    package let certificate: NodeCertificate
    package let keys: CurveKeyPair
    /// Where the trusted authorities' keys and the revocation list are read from (again on
    /// ``Endpoint/reloadTrust()``).
    let trustFiles: [String]
    let revocationFile: String?
    package let policy: TrustPolicy

    /// Reads a certificate file (`zinc cert issue`), the public key files of the authorities
    /// to trust (`authority.pub`, or a directory of `*.pub` files; two authorities during a
    /// rotation) and, optionally, a revocation list.
    public init(certificate path: String, trusting authorities: [String], revocationList: String? = nil) throws(EndpointError) {
        let (certificate, keys) = try Self.read(path) { text throws(CertificateFileError) in try CertificateFiles.readNodeCertificate(text, source: path) }
        self.certificate = certificate
        self.keys = keys
        trustFiles = authorities
        revocationFile = revocationList
        policy = try Self.readPolicy(trusting: authorities, revocationList: revocationList)
        do throws(CertificateError) {
            try policy.check(certificate, now: UInt64(Date().timeIntervalSince1970))
        } catch {
            throw EndpointError(.securityFailed, "\(path): this node's own certificate is not acceptable: \(error)")
        }
    }

    /// The certificate's name.
    public var name: String { certificate.name }
    /// The certificate's role.
    public var role: Role { certificate.role == .member ? .member : .reader }

    /// True if the certificate lets this node hold `document`.
    public func covers(_ document: String) -> Bool { certificate.covers(document) }

    /// Reads the trusted authorities and the revocation list again.
    func reloadPolicy() throws(EndpointError) -> TrustPolicy {
        try Self.readPolicy(trusting: trustFiles, revocationList: revocationFile)
    }

    static func readPolicy(trusting authorities: [String], revocationList: String?) throws(EndpointError) -> TrustPolicy {
        guard !authorities.isEmpty else { throw EndpointError(.securityFailed, "a certified node trusts at least one authority (--trust authority.pub)") }
        var trusted: Set<[UInt8]> = []
        for file in try authorityFiles(authorities) {
            trusted.insert(try read(file) { text throws(CertificateFileError) in try CertificateFiles.readAuthorityPublicKey(text, source: file) })
        }
        guard !trusted.isEmpty else { throw EndpointError(.securityFailed, "no authority to trust in \(authorities.joined(separator: ", "))") }
        let revoked = try revocationList.map { file throws(EndpointError) in
            try read(file) { text throws(CertificateFileError) in try RevocationList.parse(text, source: file) }
        } ?? []
        return TrustPolicy(authorities: trusted, revoked: revoked)
    }

    /// The files named, with a directory standing for every `*.pub` file in it (a trust
    /// store: add or remove an authority, then SIGHUP).
    private static func authorityFiles(_ paths: [String]) throws(EndpointError) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)
                continue
            }
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".pub") }.sorted()
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } catch {
                throw EndpointError(.securityFailed, "cannot list the trust directory \(path): \(error.localizedDescription)")
            }
        }
        return files
    }

    private static func read<T>(_ path: String, _ parse: (String) throws(CertificateFileError) -> T) throws(EndpointError) -> T {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EndpointError(.securityFailed, "cannot read \(path): \(error.localizedDescription)")
        }
        do throws(CertificateFileError) {
            return try parse(text)
        } catch {
            throw EndpointError(.securityFailed, error.description)
        }
    }

    /// The ZAP domain of this node's server sockets.
    var domain: String { "zinc-node-" + String(keys.publicKey.z85.prefix(12)) }

    /// Makes `socket` a CURVE server with this node's key, authenticated on its domain.
    func configureServer(_ socket: Socket) throws(ZMQError) {
        try socket.setOption(.zapDomain, domain)
        try socket.makeCurveServer(secretKey: keys.secretKey)
    }

    /// Makes `socket` a CURVE client of the server whose certificate is `server`.
    package func configureClient(_ socket: Socket, server: NodeCertificate) throws(ZMQError) {
        guard let serverKey = CurveKey(bytes: server.nodeKey) else { throw ZMQError(code: .invalidArgument, operation: "curve server key", message: "a certificate's node key has 32 bytes") }
        try socket.makeCurveClient(serverKey: serverKey, keyPair: keys)
    }
}
