import Logging
import Synchronization
import ZeroMQ

/// The one ZAP handler per libzmq context, shared by every keyed or certified endpoint on it:
/// each cluster key registers its ZAP domain and the client keys it admits; each certified
/// node its domain and the live set of keys its lobby admitted (``AdmittedKeys``). Denials are
/// counted per domain (for `zinc status`) and logged, rate-limited.
final class ZAPRegistry: Sendable {
    static let shared = ZAPRegistry()

    final class Domains: Sendable {
        struct Entry {
            var allowed: Set<CurveKey>
            /// A certified node's admitted keys (changing while it runs), if the domain is one.
            var admitted: AdmittedKeys?
            var users = 0
            var denied: UInt64 = 0
        }
        let table = Mutex<[String: Entry]>([:])
        let lastLog = Mutex<ContinuousClock.Instant?>(nil)
        let logger = Logger(label: "zinc.security")

        func decide(_ request: ZAPRequest) -> ZAPDecision {
            let verdict: ZAPDecision = table.withLock { table in
                guard request.mechanism == "CURVE", let key = request.clientPublicKey else {
                    table[request.domain]?.denied += 1
                    return .deny(reason: "a Zinc cluster requires CURVE")
                }
                guard let entry = table[request.domain] else { return .deny(reason: "no such domain") }
                if let admitted = entry.admitted {
                    guard admitted.contains(key.bytes) else {
                        table[request.domain]?.denied += 1
                        return .deny(reason: "no admitted certificate for this key (present one at the lobby first)")
                    }
                    return .allow(userID: key.z85)
                }
                guard entry.allowed.contains(key) else {
                    table[request.domain]?.denied += 1
                    return .deny(reason: "client key not admitted")
                }
                return .allow(userID: String(key.z85.prefix(8)))
            }
            if case .deny(let reason) = verdict {
                let now = ContinuousClock.now
                let shouldLog = lastLog.withLock { last in
                    if let previous = last, now - previous < .seconds(5) { return false }
                    last = now
                    return true
                }
                if shouldLog {
                    logger.warning("refused a peer: \(reason)", metadata: ["address": "\(request.address)", "mechanism": "\(request.mechanism)"])
                }
            }
            return verdict
        }
    }

    private struct ContextEntry {
        let context: Context
        let authenticator: Authenticator
        let domains: Domains
    }

    private let contexts = Mutex<[ObjectIdentifier: ContextEntry]>([:])

    /// Starts the context's ZAP handler if needed and admits `key`'s clients on its domain.
    func register(_ key: ClusterKey, context: Context) throws {
        try domains(of: context).table.withLock { table in
            var entry = table[key.domain] ?? Domains.Entry(allowed: [])
            entry.allowed.formUnion(key.allowed)
            entry.users += 1
            table[key.domain] = entry
        }
    }

    /// Starts the context's ZAP handler if needed and admits, on `domain`, the keys in
    /// `admitted` (as they are at each handshake).
    func register(domain: String, admitted: AdmittedKeys, context: Context) throws {
        try domains(of: context).table.withLock { table in
            table[domain] = Domains.Entry(allowed: [], admitted: admitted)
        }
    }

    /// Handshakes refused on `domain` so far.
    func denials(domain: String, context: Context) -> UInt64 {
        let domains = contexts.withLock { $0[ObjectIdentifier(context)]?.domains }
        return domains?.table.withLock { $0[domain]?.denied } ?? 0
    }

    private func domains(of context: Context) throws -> Domains {
        try contexts.withLock { contexts throws -> Domains in
            if let entry = contexts[ObjectIdentifier(context)] { return entry.domains }
            let domains = Domains()
            let authenticator: Authenticator
            do throws(ZMQError) {
                authenticator = try Authenticator(context: context) { domains.decide($0) }
            } catch {
                throw EndpointError(.securityFailed, "cannot start the ZAP handler (does something else authenticate on this context?): \(error.message)")
            }
            contexts[ObjectIdentifier(context)] = ContextEntry(context: context, authenticator: authenticator, domains: domains)
            return domains
        }
    }
}

/// The CURVE keys a certified node's lobby admitted: written on its I/O thread, read by the
/// ZAP handler at every handshake.
final class AdmittedKeys: Sendable {
    private let keys = Mutex<Set<[UInt8]>>([])

    func contains(_ key: [UInt8]) -> Bool { keys.withLock { $0.contains(key) } }
    func insert(_ key: [UInt8]) { _ = keys.withLock { $0.insert(key) } }
    func replace(with new: Set<[UInt8]>) { keys.withLock { $0 = new } }
}
