import Foundation
package import ZeroMQ
package import ZincProtocol

extension NodeIdentity {
    /// Asks the lobby at `lobby` for its node's certificate, presenting this one, and waits at
    /// most `timeout` (docs/protocol.md §24). For one-shot clients (`zinc status`, `zinc tap`);
    /// a node asks without blocking (``CertifiedLinks``).
    package func askLobby(_ lobby: String, context: Context, timeout: Duration) throws -> NodeCertificate {
        let asker = try Socket(.dealer, context: context)
        defer { asker.close() }
        try asker.setOption(.linger, .zero)
        try asker.setOption(.maximumMessageSize, Int64(LobbyFrame.maxBytes))
        try asker.connect(lobby)
        try asker.send(LobbyFrame.hello(certificate: certificate.encoded).encoded)
        guard let answer = try asker.receive(timeout: timeout) else {
            throw LobbyAskError("no answer from the lobby \(lobby) within \(timeout) (is a certified zinc node there?)")
        }
        switch try LobbyFrame(decoding: answer) {
        case .admitted(let encoded):
            let node = try NodeCertificate(decoding: encoded)
            do throws(CertificateError) {
                try policy.check(node, now: UInt64(max(0, Date().timeIntervalSince1970)))
            } catch {
                throw LobbyAskError("the node behind \(lobby) is not trusted: \(error)")
            }
            return node
        case .refused(_, let reason):
            throw LobbyAskError("the node behind \(lobby) refused this certificate: \(reason)")
        case .hello:
            throw LobbyAskError("\(lobby) answered with a hello, not a lobby's answer")
        }
    }
}

/// Why a lobby could not be asked, in one line.
package struct LobbyAskError: Error, CustomStringConvertible, Sendable {
    package let description: String
    init(_ description: String) { self.description = description }
}
