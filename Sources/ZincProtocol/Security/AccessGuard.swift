package import ZincCore

/// The permissions a certified node applies to everything that crosses its links
/// (docs/security.md, "Roles and documents"; docs/protocol.md §24), as a pure table: the shell
/// asks it about each lobby hello, subscription, received message and published message, and
/// does what it answers. Every node of a certified tree runs one, so the rules hold at every
/// hop, and at a host promoted after a failure as soon as its new children arrive.
///
/// - A peer is admitted by presenting an acceptable certificate at the lobby; only admitted
///   CURVE keys pass ZAP.
/// - A node ID is bound to the certified name that first spoke for it (its node topic
///   subscription or a message); a certificate with another name using it is refused. (A name,
///   not a key: a node re-certified under the same name, by a new authority during a
///   rotation, keeps its ID.)
/// - A peer receives a document, by any message, only if its certificate covers it (and this
///   node's does: a node never relays what it may not hold).
/// - A reader's operations are refused; its presence passes.
package struct AccessGuard: Sendable {
    /// A CURVE public key (32 bytes).
    package typealias Key = [UInt8]

    /// This node's own certificate.
    package let own: NodeCertificate
    package private(set) var policy: TrustPolicy
    /// Admitted certificates, by node key.
    private var admitted: [Key: NodeCertificate] = [:]
    /// Node IDs bound to the certified name that first spoke for them, and the key that spoke
    /// for them last.
    private var bindings: [ReplicaID: (name: String, key: Key)] = [:]
    package private(set) var counters = AccessCounters()
    /// The latest refusals, newest last, for `zinc status`.
    package private(set) var recentRefusals: [AccessRefusal] = []

    /// The most peers admitted at once (certificates are signed, so only real ones count).
    package static let maxAdmitted = 65_536
    /// The most node IDs bound at once.
    package static let maxBindings = 262_144
    static let recentLimit = 8

    package init(own: NodeCertificate, policy: TrustPolicy) {
        self.own = own
        self.policy = policy
    }

    /// The key the latest admitted hello presented (for a shell's copy of ``admittedKeys``).
    package private(set) var lastAdmitted: Key?

    /// The keys ZAP lets through.
    package var admittedKeys: Set<Key> { Set(admitted.keys) }

    /// The certificate a key presented.
    package func certificate(of key: Key) -> NodeCertificate? { admitted[key] }

    /// The node IDs whose last certificate had `key` (the nodes a cut of that key removes).
    package func nodes(boundTo key: Key) -> [ReplicaID] {
        bindings.filter { $0.value.key == key }.map(\.key)
    }

    /// The certificate of the node `id` is bound to, if any.
    package func certificate(ofNode id: ReplicaID) -> NodeCertificate? {
        bindings[id].flatMap { admitted[$0.key] }
    }

    // MARK: - The lobby

    /// Answers a lobby frame: a hello with an acceptable certificate admits its key and is
    /// answered with this node's certificate; anything else is refused.
    package mutating func lobby(_ bytes: [UInt8], now: UInt64) -> LobbyFrame {
        let certificate: NodeCertificate
        do {
            guard case .hello(let encoded) = try LobbyFrame(decoding: bytes) else {
                return refuse(.malformed, "expected a hello", name: nil)
            }
            certificate = try NodeCertificate(decoding: encoded)
        } catch {
            return refuse(.malformed, "\(error)", name: nil)
        }
        do throws(CertificateError) {
            try policy.check(certificate, now: now)
        } catch {
            return refuse(LobbyRefusal(error.reason), error.message, name: certificate.name)
        }
        if admitted[certificate.nodeKey] == nil && admitted.count >= Self.maxAdmitted {
            return refuse(.busy, "this node admits no more peers", name: certificate.name)
        }
        admitted[certificate.nodeKey] = certificate
        lastAdmitted = certificate.nodeKey
        counters.admitted += 1
        return .admitted(certificate: own.encoded)
    }

    private mutating func refuse(_ refusal: LobbyRefusal, _ reason: String, name: String?) -> LobbyFrame {
        counters.lobbyRefused += 1
        note(AccessRefusal(name: name, reason: reason))
        return .refused(refusal, reason: reason)
    }

    /// Checks a host's certificate from its lobby's answer, before connecting to it: it must be
    /// acceptable and a member's (a reader never hosts).
    package func checkHost(_ frame: LobbyFrame, now: UInt64) throws(CertificateError) -> NodeCertificate {
        switch frame {
        case .admitted(let encoded):
            let certificate = try NodeCertificate(decoding: encoded)
            try policy.check(certificate, now: now)
            guard certificate.role == .member else { throw CertificateError(.malformed, "\(certificate.name) is a reader; readers do not host") }
            return certificate
        case .refused(_, let reason):
            throw CertificateError(.untrustedAuthority, "the host refused this node: \(reason)")
        case .hello:
            throw CertificateError(.malformed, "the host answered with a hello")
        }
    }

    // MARK: - Trust changes

    /// Puts a new policy in force (a SIGHUP re-read the files) and drops every admitted peer it
    /// no longer accepts: their keys, for the shell to cut.
    package mutating func replacePolicy(_ policy: TrustPolicy, now: UInt64) -> [Key] {
        self.policy = policy
        let policy = self.policy
        return drop(unless: { certificate throws(CertificateError) in try policy.check(certificate, now: now) })
    }

    /// Drops every admitted peer whose certificate has expired: their keys, for the shell to
    /// cut. Only the expiry can change while the policy stays (run every second; a signature
    /// check per admitted peer would cost that much CPU each time).
    package mutating func revalidate(now: UInt64) -> [Key] {
        drop(unless: { certificate throws(CertificateError) in
            if let expires = certificate.expires, now >= expires { throw CertificateError(.expired, "certificate of \(certificate.name) expired at \(expires) (Unix seconds)") }
        })
    }

    /// Drops the admitted peers `check` refuses. Bindings stay: a dropped node's ID cannot be
    /// taken over by another name.
    private mutating func drop(unless check: (NodeCertificate) throws(CertificateError) -> Void) -> [Key] {
        var dropped: [Key] = []
        for (key, certificate) in admitted {
            do throws(CertificateError) {
                try check(certificate)
            } catch {
                admitted[key] = nil
                dropped.append(key)
                counters.dropped += 1
                note(AccessRefusal(name: certificate.name, reason: error.message))
            }
        }
        return dropped
    }

    // MARK: - Subscriptions

    /// The prefixes to apply for a subscription change `key` sent (empty: refused): a
    /// document prefix only if its certificate covers it, every document as its patterns, a
    /// node topic only for a node ID bound to that key.
    package mutating func subscription(_ prefix: [UInt8], subscribed: Bool, from key: Key) -> [[UInt8]] {
        guard let certificate = admitted[key] else { return refused(subscribed, key: key, "a subscription from a key not admitted") }
        guard let kind = prefix.first else {
            return certificate.coversEveryDocument ? [prefix] : refused(subscribed, key: key, "\(certificate.name) asked for every topic")
        }
        switch kind {
        case 0x44: // D
            if prefix.count == 1 {
                if certificate.coversEveryDocument { return [prefix] }
                return certificate.documents.map(Self.prefix(of:))
            }
            guard case .document(let name)? = try? Topic(decoding: prefix) else {
                return certificate.coversEveryDocument ? [prefix] : refused(subscribed, key: key, "\(certificate.name) asked for a partial document prefix")
            }
            return allows(certificate, name) ? [prefix] : refused(subscribed, key: key, "\(certificate.name) may not receive \(name)")
        case 0x4E: // N
            guard case .node(let node)? = try? Topic(decoding: prefix) else { return refused(subscribed, key: key, "a malformed node topic") }
            guard bind(node, to: certificate) else { return refused(subscribed, key: key, "\(certificate.name) spoke for a node bound to another name") }
            return [prefix]
        case 0x54: // T
            // Tree messages name every document the host holds (heartbeat digests): only for
            // certificates that cover every document. The others get their own copies (outbound).
            return certificate.coversEveryDocument ? [prefix] : []
        case 0x57, 0x41: // W, A
            return [prefix]
        default:
            return refused(subscribed, key: key, "an unknown topic")
        }
    }

    private mutating func refused(_ subscribed: Bool, key: Key, _ reason: String) -> [[UInt8]] {
        guard subscribed else { return [] }
        counters.subscriptionsRefused += 1
        note(AccessRefusal(name: admitted[key]?.name, reason: reason))
        return []
    }

    /// The subscription prefix that matches what `pattern` covers.
    static func prefix(of pattern: DocumentPattern) -> [UInt8] {
        if pattern.text.utf8.last == UInt8(ascii: "*") { return Topic.allDocuments + Array(pattern.text.utf8.dropLast()) }
        return Topic.document(pattern.text).bytes
    }

    /// True if `certificate`'s holder may receive `document` from this node.
    private func allows(_ certificate: NodeCertificate, _ document: String) -> Bool {
        certificate.covers(document) && own.covers(document)
    }

    private mutating func bind(_ node: ReplicaID, to certificate: NodeCertificate) -> Bool {
        if let bound = bindings[node], bound.name != certificate.name { return false }
        guard bindings[node] != nil || bindings.count < Self.maxBindings else { return false }
        bindings[node] = (certificate.name, certificate.nodeKey)
        return true
    }

    // MARK: - Messages in

    /// What to do with a message a child sent over the PULL socket (`key`: its CURVE key), or
    /// a browser through this node's gateway (`key` nil: it acts under this node's certificate).
    package mutating func inbound(_ message: WireMessage, from key: Key?) -> InboundVerdict {
        let certificate: NodeCertificate
        if let key {
            guard let admittedCertificate = admitted[key] else { return refuse(.notAdmitted, message, name: nil) }
            certificate = admittedCertificate
            guard bind(message.header.sender, to: certificate) else { return refuse(.impersonation, message, name: certificate.name) }
        } else {
            certificate = own
        }
        let type = message.header.type
        if let document = Self.document(of: message), !allows(certificate, document) {
            return refuse(.notCovered, message, name: certificate.name)
        }
        if certificate.role == .reader || own.role == .reader, Self.writes.contains(type) {
            return refuse(.readerWrite, message, name: certificate.name)
        }
        if certificate.role == .reader, type == .join, var request = try? JoinRequest(decoding: message.payload), request.endpoints != nil {
            // A reader never hosts: it is not a candidate for promotion, whatever it claims.
            request.endpoints = nil
            return .accept(WireMessage(topic: message.topic, header: message.header, payload: request.encoded))
        }
        return .accept(message)
    }

    /// Messages that carry operations.
    static let writes: Set<MessageType> = [.delta, .syncReply, .transferChunk]

    private mutating func refuse(_ reason: AccessRefusal.Kind, _ message: WireMessage, name: String?) -> InboundVerdict {
        counters.messagesRefused += 1
        if reason == .readerWrite { counters.readerWritesRefused += 1 }
        note(AccessRefusal(name: name, reason: "\(reason.description): \(message.header.type) from \(message.header.sender.shortDescription)"))
        return .refuse(reason)
    }

    /// The document a message is about, if any.
    package static func document(of message: WireMessage) -> String? {
        if case .document(let name) = message.topic { return name }
        return NodeCore.documentName(in: message)
    }

    // MARK: - Messages out

    /// What to publish for `message`: itself, per-child copies rewritten to what each may see,
    /// or nothing. `children` are this node's children now; those behind its gateway
    /// (`isBrowser`) act under this node's own certificate. A child bound to no certificate (yet)
    /// is sent nothing about any document.
    package func outbound(_ message: WireMessage, children: @autoclosure () -> [ReplicaID], isBrowser: (ReplicaID) -> Bool = { _ in false }) -> [WireMessage] {
        func certificate(of child: ReplicaID) -> NodeCertificate? {
            isBrowser(child) ? own : self.certificate(ofNode: child)
        }
        func allowed(_ child: ReplicaID, _ document: String) -> Bool {
            certificate(of: child).map { allows($0, document) } ?? false
        }
        switch message.topic {
        case .document(let name):
            return own.covers(name) ? [message] : []
        case .node(let target):
            if let name = Self.document(of: message) {
                return allowed(target, name) ? [message] : []
            }
            if message.header.type == .welcome, var welcome = try? Welcome(decoding: message.payload) {
                welcome.documents = welcome.documents.filter { allowed(target, $0) }
                return [WireMessage(topic: message.topic, header: message.header, payload: welcome.encoded)]
            }
            return [message]
        case .tree:
            // `T` reaches only subscribers whose certificates cover every document (see
            // subscription): every other child gets its own copy, with the digests it may see.
            let restricted = children().filter { child in
                !isBrowser(child) && !(self.certificate(ofNode: child)?.coversEveryDocument ?? false)
            }
            guard !restricted.isEmpty else { return [message] }
            let heartbeat = message.header.type == .heartbeat ? try? Heartbeat(decoding: message.payload) : nil
            var out = [message]
            for child in restricted where certificate(of: child) != nil {
                guard var copy = heartbeat else {
                    out.append(WireMessage(topic: .node(child), header: message.header, payload: message.payload))
                    continue
                }
                copy.digests = copy.digests.filter { allowed(child, $0.document) }
                out.append(WireMessage(topic: .node(child), header: message.header, payload: copy.encoded))
            }
            return out
        case .application, .welcome:
            return [message]
        }
    }

    private mutating func note(_ refusal: AccessRefusal) {
        recentRefusals.append(refusal)
        if recentRefusals.count > Self.recentLimit { recentRefusals.removeFirst() }
    }
}

/// The answer to a received message.
package enum InboundVerdict: Sendable, Hashable {
    /// Hand it to the node (possibly rewritten).
    case accept(WireMessage)
    /// Drop it; counted.
    case refuse(AccessRefusal.Kind)
}

/// One refusal, for status displays.
package struct AccessRefusal: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable, CustomStringConvertible {
        case notAdmitted = "not admitted"
        case impersonation = "spoke for a node bound to another name"
        case notCovered = "a document its certificate does not cover"
        case readerWrite = "operations from a reader"
        package var description: String { rawValue }
    }

    /// The certificate's name, if known.
    package let name: String?
    package let reason: String
    package var description: String { name.map { "\($0): \(reason)" } ?? reason }
}

/// What an ``AccessGuard`` admitted and refused.
package struct AccessCounters: Sendable, Hashable {
    /// Lobby hellos answered with this node's certificate.
    package var admitted: UInt64 = 0
    /// Lobby hellos refused (bad, untrusted, expired or revoked certificates).
    package var lobbyRefused: UInt64 = 0
    /// Subscriptions not applied.
    package var subscriptionsRefused: UInt64 = 0
    /// Messages dropped.
    package var messagesRefused: UInt64 = 0
    /// Of those, operations sent by readers.
    package var readerWritesRefused: UInt64 = 0
    /// Admitted peers dropped when their certificate expired or was revoked.
    package var dropped: UInt64 = 0
}
