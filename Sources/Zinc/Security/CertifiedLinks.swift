import Foundation
import Logging
import ZeroMQ
import ZincCore
import ZincProtocol

/// A certified node's side of every link (docs/security.md, "Node certificates"), on its I/O
/// thread: the lobby it answers, the lobbies it asks before connecting, the ``AccessGuard``
/// that decides what crosses each link, and the connections of each admitted key (so a
/// revoked peer can be cut).
final class CertifiedLinks {
    let identity: NodeIdentity
    private(set) var rules: AccessGuard
    /// What ZAP admits (a copy of the guard's admitted keys).
    let admitted: AdmittedKeys
    /// The lobby this node answers, if it binds or serves admin.
    let lobby: Socket?
    private let context: Context
    private var logger: Logger
    private let clock = ContinuousClock()

    /// Hosts' certificates being fetched, by lobby address.
    private var fetches: [String: Fetch] = [:]
    /// Hosts' certificates fetched recently, by lobby address (the PUSH connects right after
    /// the SUB, to the same host).
    private var fetched: [String: (certificate: NodeCertificate, at: ContinuousClock.Instant)] = [:]
    /// The certificate of the host this node's SUB and PUSH are connected to.
    private(set) var parentCertificate: NodeCertificate?
    /// Keys by ZAP user ID (the key's Z85 text).
    private var keysByUser: [String: [UInt8]] = [:]
    /// The key each connection (file descriptor) last carried a message of. By descriptor, so
    /// a number the kernel reuses for another peer's connection belongs to that peer as soon as
    /// it speaks (a subscription, at once).
    private var owners: [Int32: [UInt8]] = [:]
    /// Lobby hellos answered in the current second (a flood is answered "busy", unverified).
    private var lobbyWindow: (start: ContinuousClock.Instant, count: Int)
    private var lastLog: ContinuousClock.Instant?

    /// How long a lobby has to answer.
    static let fetchTimeout: Duration = .seconds(2)
    /// How long a fetched certificate is used for further connections to the same host.
    static let fetchedLifetime: Duration = .seconds(30)
    /// Lobby hellos verified per second, at most.
    static let lobbyRate = 1_000

    /// Asking one lobby: the socket of the attempt in flight (nil between attempts), and who
    /// waits for the answer.
    private struct Fetch {
        var socket: Socket?
        /// When the attempt in flight gives up, or the next one starts.
        var deadline: ContinuousClock.Instant
        var attempts = 0
        var waiters: [Waiter]
    }

    /// A connection waiting for a host's certificate, while `isWanted` (the node has not moved on).
    struct Waiter {
        let isWanted: () -> Bool
        let run: (NodeCertificate) -> Void
    }

    init(identity: NodeIdentity, lobby: Socket?, admitted: AdmittedKeys, context: Context, logger: Logger) {
        self.identity = identity
        rules = AccessGuard(own: identity.certificate, policy: identity.policy)
        self.admitted = admitted
        self.lobby = lobby
        self.context = context
        self.logger = logger
        lobbyWindow = (clock.now, 0)
    }

    static var unixNow: UInt64 { UInt64(max(0, Date().timeIntervalSince1970)) }

    // MARK: - The lobby this node answers

    /// Answers every hello waiting on the lobby.
    func serveLobby() {
        guard let lobby else { return }
        for _ in 0..<256 {
            guard let frames = try? lobby.receiveMessage(.dontWait) else { return }
            guard frames.count == 2 else { continue }
            let now = clock.now
            if now - lobbyWindow.start >= .seconds(1) { lobbyWindow = (now, 0) }
            lobbyWindow.count += 1
            let reply: LobbyFrame
            if lobbyWindow.count > Self.lobbyRate {
                reply = .refused(.busy, reason: "too many hellos; try again")
            } else {
                reply = rules.lobby(frames[1], now: Self.unixNow)
                switch reply {
                case .admitted: if let key = rules.lastAdmitted { admitted.insert(key) }
                case .refused(_, let reason): warn("refused a certificate at the lobby: \(reason)")
                case .hello: break
                }
            }
            try? lobby.send(message: [frames[0], reply.encoded], flags: .dontWait)
        }
    }

    // MARK: - Lobbies this node asks

    /// Runs `waiter` with the certificate of the host whose lobby is `lobby`, once known (at
    /// once if fetched recently). A lobby that does not answer, or refuses, is asked again with
    /// backoff for as long as the waiter is wanted (the host may not be up yet, or may be about
    /// to trust this node's authority); the node's join timers meanwhile try elsewhere.
    func whenHostKnown(lobby: String?, _ waiter: Waiter) {
        guard let lobby else {
            warn("no lobby address can be derived for a host; not connecting")
            return
        }
        if let entry = fetched[lobby], clock.now - entry.at < Self.fetchedLifetime {
            waiter.run(entry.certificate)
            return
        }
        if fetches[lobby] != nil {
            fetches[lobby]?.waiters.append(waiter)
            return
        }
        fetches[lobby] = Fetch(socket: nil, deadline: clock.now, waiters: [waiter])
        serviceFetches()
    }

    /// True while a lobby's answer is awaited on a socket (the loop then polls it often).
    var isAwaitingLobby: Bool { fetches.values.contains { $0.socket != nil } }

    /// When the loop must next look at the fetches: soon while an answer is awaited, else at
    /// the earliest retry.
    func nextFetchWake(now: ContinuousClock.Instant) -> Duration? {
        if isAwaitingLobby { return .milliseconds(5) }
        return fetches.values.map { max(.zero, $0.deadline - now) }.min()
    }

    /// Takes the lobbies' answers, gives up on attempts past their deadline, and starts the
    /// retries that are due.
    func serviceFetches() {
        for lobby in Array(fetches.keys) {
            guard var fetch = fetches[lobby] else { continue }
            fetch.waiters.removeAll { !$0.isWanted() }
            guard !fetch.waiters.isEmpty else {
                finish(lobby)
                continue
            }
            if let socket = fetch.socket {
                if let frame = try? socket.receive(.dontWait) {
                    if let certificate = accept(frame, from: lobby) {
                        finish(lobby)
                        if fetched.count >= 1_024 { fetched = fetched.filter { clock.now - $0.value.at < Self.fetchedLifetime } }
                    fetched[lobby] = (certificate, clock.now)
                        for waiter in fetch.waiters { waiter.run(certificate) }
                        continue
                    }
                } else if clock.now < fetch.deadline {
                    fetches[lobby] = fetch
                    continue
                } else {
                    warn("the lobby \(lobby) did not answer within \(Self.fetchTimeout); asking again")
                }
                socket.close()
                fetch.socket = nil
                fetch.deadline = clock.now + Self.retryDelay(after: fetch.attempts)
            } else if clock.now >= fetch.deadline {
                fetch.socket = ask(lobby)
                fetch.attempts += 1
                fetch.deadline = clock.now + Self.fetchTimeout
            }
            fetches[lobby] = fetch
        }
    }

    /// 250 ms, doubling to 4 s.
    static func retryDelay(after attempts: Int) -> Duration {
        .milliseconds(250 << min(4, max(0, attempts - 1)))
    }

    private func ask(_ lobby: String) -> Socket? {
        do throws(ZMQError) {
            let socket = try Socket(.dealer, context: context)
            try socket.setOption(.linger, .zero)
            try socket.setOption(.maximumMessageSize, Int64(LobbyFrame.maxBytes))
            try socket.connect(lobby)
            try socket.send(LobbyFrame.hello(certificate: identity.certificate.encoded).encoded, flags: .dontWait)
            return socket
        } catch {
            warn("cannot ask the lobby \(lobby): \(error)")
            return nil
        }
    }

    /// The host's certificate from a lobby's answer, if it is one this node connects to.
    private func accept(_ frame: [UInt8], from lobby: String) -> NodeCertificate? {
        let answer: LobbyFrame
        do throws(FormatError) {
            answer = try LobbyFrame(decoding: frame)
        } catch {
            warn("not connecting to the host at \(lobby): a malformed lobby answer: \(error)")
            return nil
        }
        do throws(CertificateError) {
            return try rules.checkHost(answer, now: Self.unixNow)
        } catch {
            warn("not connecting to the host at \(lobby): \(error)")
            return nil
        }
    }

    private func finish(_ lobby: String) {
        fetches.removeValue(forKey: lobby)?.socket?.close()
    }

    /// Configures `socket` as a CURVE client of `host` (and remembers it as the parent if it
    /// is the SUB or PUSH socket).
    func configure(_ socket: Socket, for host: NodeCertificate, isParent: Bool) {
        do {
            try identity.configureClient(socket, server: host)
        } catch {
            warn("cannot configure CURVE for \(host.name): \(error)")
        }
        if isParent { parentCertificate = host }
    }

    func parentGone() { parentCertificate = nil }

    // MARK: - Peers

    /// The key of the peer that sent a message, and notes the connection it came on.
    func key(of peer: Socket.Peer?) -> [UInt8]? {
        guard let peer, !peer.userID.isEmpty else { return nil }
        let key: [UInt8]
        if let known = keysByUser[peer.userID] {
            key = known
        } else {
            guard let decoded = CurveKey(z85: peer.userID)?.bytes else { return nil }
            if keysByUser.count > AccessGuard.maxAdmitted { keysByUser.removeAll() }
            keysByUser[peer.userID] = decoded
            key = decoded
        }
        if peer.fileDescriptor >= 0, owners[peer.fileDescriptor] != key { owners[peer.fileDescriptor] = key }
        return key
    }

    /// The guard's verdict on a message from a child (`key`) or a browser (nil).
    func inbound(_ message: WireMessage, from key: [UInt8]?) -> InboundVerdict {
        rules.inbound(message, from: key)
    }

    /// The subscription prefixes to apply for what `key` asked.
    func subscription(_ prefix: [UInt8], subscribed: Bool, from key: [UInt8]) -> [[UInt8]] {
        rules.subscription(prefix, subscribed: subscribed, from: key)
    }

    /// What to publish for `message`, given the node's children.
    func outbound(_ message: WireMessage, children: @autoclosure () -> [ReplicaID], isBrowser: (ReplicaID) -> Bool) -> [WireMessage] {
        rules.outbound(message, children: children(), isBrowser: isBrowser)
    }

    // MARK: - Trust changes

    /// What a change of trust withdrew: the node IDs of the peers cut, and whether the
    /// parent's certificate is no longer acceptable either.
    struct Withdrawn {
        var nodes: [ReplicaID] = []
        var parent = false
    }

    /// Re-reads the trusted authorities and the revocation list, and cuts every peer no longer
    /// acceptable.
    func reload() throws(EndpointError) -> Withdrawn {
        let policy = try identity.reloadPolicy()
        let now = Self.unixNow
        let parentAcceptable = parentCertificate.map { (try? policy.check($0, now: now)) != nil } ?? true
        return withdraw(rules.replacePolicy(policy, now: now), parent: !parentAcceptable)
    }

    /// Cuts peers whose certificates expired (and says whether the parent's did).
    func revalidate() -> Withdrawn {
        let now = Self.unixNow
        let parentExpired = parentCertificate?.expires.map { now >= $0 } ?? false
        return withdraw(rules.revalidate(now: now), parent: parentExpired)
    }

    private func withdraw(_ keys: [[UInt8]], parent: Bool) -> Withdrawn {
        cut(keys)
        return Withdrawn(nodes: keys.flatMap { rules.nodes(boundTo: $0) }, parent: parent)
    }

    /// Closes every connection of `keys` (ZAP refuses them from now on).
    private func cut(_ keys: [[UInt8]]) {
        guard !keys.isEmpty else { return }
        admitted.replace(with: rules.admittedKeys)
        let cut = Set(keys)
        for (descriptor, owner) in owners where cut.contains(owner) {
            _ = shutdown(descriptor, Int32(SHUT_RDWR))
            owners[descriptor] = nil
        }
        for key in keys {
            logger.warning("cut a peer whose certificate is no longer accepted", metadata: ["key": "\(CurveKey(bytes: key)?.z85 ?? "?")"])
        }
    }

    /// Closes the lobby and any fetch in flight.
    func close() {
        for lobby in fetches.keys { finish(lobby) }
        lobby?.close()
    }

    private func warn(_ message: String) {
        // Anyone can knock on a lobby: one line per second at most.
        if let lastLog, clock.now - lastLog < .seconds(1) { return }
        lastLog = clock.now
        logger.warning("\(message)")
    }
}
