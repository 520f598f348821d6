import Logging
import Synchronization
import ZeroMQ

/// The one ZAP handler per libzmq context, shared by every keyed endpoint on it: each cluster
/// key registers its ZAP domain and the client keys it admits. Denials are counted per domain
/// (for `zinc status`) and logged, rate-limited.
final class ZAPRegistry: Sendable {
    static let shared = ZAPRegistry()

    final class Domains: Sendable {
        struct Entry {
            var allowed: Set<CurveKey>
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
                guard let entry = table[request.domain], entry.allowed.contains(key) else {
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
        let domains = try contexts.withLock { contexts throws -> Domains in
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
        domains.table.withLock { table in
            var entry = table[key.domain] ?? Domains.Entry(allowed: [])
            entry.allowed.formUnion(key.allowed)
            entry.users += 1
            table[key.domain] = entry
        }
    }

    /// Handshakes refused on `key`'s domain so far.
    func denials(_ key: ClusterKey, context: Context) -> UInt64 {
        let domains = contexts.withLock { $0[ObjectIdentifier(context)]?.domains }
        return domains?.table.withLock { $0[key.domain]?.denied } ?? 0
    }
}
