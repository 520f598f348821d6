import ArgumentParser
import Foundation
import Glibc
import ZeroMQ

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a CURVE key pair for a cluster.",
        discussion: """
        Every node of a keyed cluster gets the same file (--key FILE): it holds the cluster's
        public and secret key in Z85. The file is written with mode 0600; anyone who holds it
        can join the cluster and read every document. See docs/security.md.

        Examples:
          zinc keygen --out cluster.key
          zinc keygen            # prints the key file to stdout
        """
    )

    @Option(help: "Write the key file here (mode 0600) instead of stdout.") var out: String?

    func run() throws {
        let pair = try CurveKeyPair.generate()
        let text = """
        # Zinc cluster key (CURVE, Z85). Keep it secret: it admits a node to the cluster.
        public-key = \(pair.publicKey.z85)
        secret-key = \(pair.secretKey.z85)

        """
        guard let out else {
            print(text, terminator: "")
            return
        }
        guard !FileManager.default.fileExists(atPath: out) else { throw CLIError("\(out) exists; refusing to overwrite a key") }
        let fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw CLIError("cannot create \(out): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw CLIError("cannot write \(out): \(String(cString: strerror(errno)))") }
        print("wrote \(out) (public key \(pair.publicKey.z85))")
    }
}
