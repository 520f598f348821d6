import ArgumentParser
import Foundation
import Zinc
import ZeroMQ
import ZincCore
import ZincProtocol

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Issue and inspect node certificates.",
        subcommands: [CertIssueCommand.self, CertShowCommand.self, CertRevokeCommand.self]
    )
}

struct CertIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a node certificate: a new CURVE key pair for the node, with its name, role, documents and expiry, signed by the authority.",
        discussion: """
        The file holds the node's CURVE secret key (mode 0600): give it to that node only.
        Roles: a member writes and may host; a reader receives and never writes. Documents are
        IDs or prefixes ending in * (notes,wiki/*); the default is every document. See
        docs/security.md, "Node certificates".

        Examples:
          zinc cert issue --authority ca --name alice --role member --out alice.cert
          zinc cert issue --authority ca --name kiosk --role reader --documents 'pub*' --expires 2027-01-01 --out kiosk.cert
        """
    )

    @Option(help: "The authority directory (authority.key inside) or its authority.key file.") var authority: String
    @Option(help: "The node's name (1–64 bytes).") var name: String
    @Option(help: "member (writes, may host) or reader (never writes).") var role: NodeCertificate.Role
    @Option(help: "The documents the node may receive: IDs or prefixes ending in *, comma-separated.") var documents = "*"
    @Option(help: "The expiry: a date (2027-01-01, UTC midnight) or an ISO 8601 time; default: never.") var expires: String?
    @Option(help: "Write the certificate file here (mode 0600).") var out: String

    func run() throws {
        var isDirectory: ObjCBool = false
        let keyPath = FileManager.default.fileExists(atPath: authority, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (authority as NSString).appendingPathComponent("authority.key") : authority
        let authority = try CertificateFiles.readAuthority(String(contentsOfFile: keyPath, encoding: .utf8), source: keyPath)
        guard let patterns = DocumentPattern.list(documents), !patterns.isEmpty else {
            throw CLIError("--documents: each entry is a document ID or a prefix ending in * (1–255 bytes, no NUL, * only at the end)")
        }
        let now = UInt64(Date().timeIntervalSince1970)
        var expiry: UInt64?
        if let expires {
            guard let date = Self.date(expires) else { throw CLIError("--expires: \(expires) is not a date (2027-01-01) or an ISO 8601 time") }
            guard date.timeIntervalSince1970 > Double(now) else { throw CLIError("--expires: \(expires) is in the past") }
            expiry = UInt64(date.timeIntervalSince1970)
        }
        let keys = try CurveKeyPair.generate()
        let certificate = try authority.issue(nodeKey: keys.publicKey.bytes, role: role, name: name, documents: patterns, issued: now, expires: expiry)
        try writeNewFile(out, CertificateFiles.nodeCertificate(certificate, secretKey: keys.secretKey), mode: 0o600)
        print("wrote \(out): \(certificate.name), \(certificate.role), documents \(documents), node key \(keys.publicKey.z85)")
    }

    static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text + "T00:00:00Z", strategy: .iso8601)
    }
}

struct CertShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print what a node certificate says, and check it against trusted authorities.",
        discussion: """
        Examples:
          zinc cert show alice.cert
          zinc cert show alice.cert --trust ca/authority.pub
        """
    )

    @Argument(help: "The certificate file.") var file: String
    @Option(help: "An authority's public key file to check the certificate against (repeatable).") var trust: [String] = []

    func run() throws {
        let (certificate, keys) = try CertificateFiles.readNodeCertificate(String(contentsOfFile: file, encoding: .utf8), source: file)
        print("name       \(certificate.name)")
        print("role       \(certificate.role)")
        print("documents  \(certificate.documents.map(\.text).joined(separator: ","))")
        print("node key   \(keys.publicKey.z85)")
        print("issued     \(Date(timeIntervalSince1970: TimeInterval(certificate.issued)).formatted(.iso8601))")
        print("expires    \(certificate.expires.map { Date(timeIntervalSince1970: TimeInterval($0)).formatted(.iso8601) } ?? "never")")
        print("authority  \(Z85.encode(certificate.authority) ?? "")")
        print("fingerprint \(Hex.encode(certificate.fingerprint))")
        guard !trust.isEmpty else { return }
        var trusted: Set<[UInt8]> = []
        for path in trust { trusted.insert(try CertificateFiles.readAuthorityPublicKey(String(contentsOfFile: path, encoding: .utf8), source: path)) }
        do {
            try certificate.verify(trusting: trusted, now: UInt64(Date().timeIntervalSince1970))
            print("valid      signed by a trusted authority")
        } catch {
            throw CLIError("not valid: \(error)")
        }
    }
}

struct CertRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Add certificates to a revocation list (created if missing).",
        discussion: """
        Give the list to every node with --revocations and send them SIGHUP: each re-reads it,
        refuses the revoked certificates from then on, and cuts their holders' connections.
        See docs/security.md, "Revoking a certificate".

        Example:
          zinc cert revoke --list revoked.txt laptop.cert && pkill -HUP -f 'zinc node'
        """
    )

    @Option(help: "The revocation list file.") var list: String
    @Argument(help: "The certificate files to revoke.") var files: [String]

    func run() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one certificate file") }
        let existing = FileManager.default.fileExists(atPath: list) ? try String(contentsOfFile: list, encoding: .utf8) : "# Zinc revocation list: zinc cert revoke appends, nodes re-read it on SIGHUP.\n"
        let already = try RevocationList.parse(existing, source: list)
        var text = existing
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        for file in files {
            let (certificate, _) = try CertificateFiles.readNodeCertificate(String(contentsOfFile: file, encoding: .utf8), source: file)
            guard !already.contains(certificate.fingerprint) else {
                print("\(file): \(certificate.name) is already revoked")
                continue
            }
            text += RevocationList.entry(certificate)
            print("revoked \(certificate.name) (\(Hex.encode(certificate.fingerprint)))")
        }
        try text.write(toFile: list, atomically: true, encoding: .utf8)
    }
}

extension NodeCertificate.Role: ExpressibleByArgument {
    package init?(argument: String) {
        guard let role = Self.allCases.first(where: { $0.description == argument }) else { return nil }
        self = role
    }

    package static var allValueStrings: [String] { allCases.map(\.description) }
    package var defaultValueDescription: String { description }
}
