import ArgumentParser
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
        try writeNewFile(out, text, mode: 0o600)
        print("wrote \(out) (public key \(pair.publicKey.z85))")
    }
}
