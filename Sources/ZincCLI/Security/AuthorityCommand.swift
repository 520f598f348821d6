import ArgumentParser
import Foundation
import Zinc
import ZincProtocol

struct AuthorityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authority",
        abstract: "Manage a cluster authority, which signs node certificates.",
        subcommands: [AuthorityInitCommand.self]
    )
}

struct AuthorityInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a new cluster authority: DIR/authority.key (secret, mode 0600) and DIR/authority.pub.",
        discussion: """
        The authority's Ed25519 key signs node certificates (zinc cert issue). Keep authority.key
        offline: whoever holds it can certify nodes. Nodes trust the authority through
        authority.pub (--trust). See docs/security.md, "Node certificates".

        Example:
          zinc authority init --out ca
        """
    )

    @Option(help: "The directory to write authority.key and authority.pub into (made if missing).") var out: String

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let authority = CertificateAuthority.generate()
        let secret = (out as NSString).appendingPathComponent("authority.key")
        let publicFile = (out as NSString).appendingPathComponent("authority.pub")
        try writeNewFile(secret, CertificateFiles.authorityKey(authority), mode: 0o600)
        try writeNewFile(publicFile, CertificateFiles.authorityPublicKey(authority.publicKey), mode: 0o644)
        print("wrote \(secret) and \(publicFile)")
    }
}
