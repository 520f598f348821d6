package import ZincCore

/// One document's synchronisation, as a pure state machine: events in (local commits, messages
/// from the parent or a child, heartbeat digests, ticks), messages out. No sockets, no clocks:
/// the caller passes the time and executes the ``Outgoing`` messages.
///
/// Rules (docs/protocol.md, "Document synchronisation"):
/// - a local commit goes to the parent and to the children;
/// - a delta is applied; if it brought anything new it is relayed on: down to the children,
///   and up to the parent when it came from a child; a node drops its own echo by origin and
///   every duplicate by op ID;
/// - sync: `syncRequest(my version)` → `syncReply(your version, what I lack)` → `delta(what you
///   lack)`; large replies travel as chunked, acknowledged transfers;
/// - this node's own operations stay in its log (the outbox) and are pushed again whenever it
///   (re)joins a parent, until the parent's version vector covers them.
package struct DocumentSync: Sendable {
    package let id: String
    package private(set) var document: Document
    package private(set) var presence: PresenceStore
    package var settings: SyncSettings
    package private(set) var counters = SyncCounters()

    /// How many of this node's own operations the parent is known to hold.
    package private(set) var parentAcknowledged: UInt64 = 0
    /// What each neighbour is known to hold (from versions it sent, and digests equal to ours).
    private var acknowledged: [Peer: VersionVector] = [:]
    /// The operation total at which each peer's equal digest last showed it holds this whole
    /// document: noting the same version again would change nothing (heartbeats repeat it).
    private var heldWhole: [Peer: UInt64] = [:]
    /// What every member of the tree holds: history below it may be trimmed.
    private var stability = HistoryStability()
    private var lastTrimCheck: Duration?
    /// Per peer: when a digest mismatch starts a repair.
    private var repairTimers: [Peer: RepairTimer] = [:]
    private var outgoing: [UInt64: OutgoingTransfer] = [:]
    private var incoming: [UInt64: IncomingTransfer] = [:]
    private var nextTransfer: UInt64 = 1
    /// This replica's own presence as last shared (updates change only what they set).
    package private(set) var localPresence: Presence?
    /// How far local deltas run ahead of the slowest child (the shell paces local edits by it).
    package private(set) var flow = FlowWindow()

    package init(id: String, document: Document, settings: SyncSettings = SyncSettings()) {
        self.id = id
        self.document = document
        self.settings = settings
        self.presence = PresenceStore(timeout: settings.presenceTimeout)
    }

    package var replica: ReplicaID { document.replica }
    package var topic: Topic { .document(id) }

    /// A digest of the document's version, for heartbeats. Cached: versions only grow, so an
    /// unchanged operation total means an unchanged version. (Not the Lamport time: merging a
    /// state can add operations without moving it.)
    package var digest: DocumentDigest {
        mutating get {
            let total = document.operationTotal
            if let cached = cachedDigest, cached.operations == total { return cached }
            let digest = DocumentDigest(document: id, digest: document.versionVector.digest, operations: total)
            cachedDigest = digest
            return digest
        }
    }

    private var cachedDigest: DocumentDigest?

    // MARK: - Local changes

    /// Edits the document locally (the closure's changes become operations of this replica),
    /// and returns the fragment plus the messages that carry it to the tree.
    ///
    /// The edit is atomic: if `body` throws, the document is left exactly as it was and nothing
    /// is sent. Edits close together in time with no caret jump form one undo step
    /// (``Document/undoCaptureWindow``).
    package mutating func edit(
        _ context: RouteContext, _ body: (inout Document) throws -> Void
    ) rethrows -> (fragment: DocumentFragment, outgoing: [Outgoing]) {
        let fragment = try document.transact(at: context.now, body)
        return (fragment, publish(fragment, context))
    }

    /// Sends a fragment this replica just committed (made through `document` directly, e.g. by
    /// undo) to the tree.
    package mutating func publish(_ fragment: DocumentFragment, _ context: RouteContext) -> [Outgoing] {
        guard !fragment.isEmpty else { return [] }
        counters.localOperations += UInt64(fragment.operationCount)
        let message = delta(fragment.encoded(omittingAuthor: replica), origin: replica, context)
        var out: [Outgoing] = []
        if context.hasChildren {
            out.append(Outgoing(.children, message))
            flow.sent(total: document.operationTotal)
        }
        if context.hasParent { out.append(Outgoing(.parent, message)) }
        return out
    }

    /// Mutable access to the document for local work that does not go through ``edit`` (undo,
    /// redo, observation settings). Call ``publish(_:_:)`` with what it committed.
    package mutating func withDocument<R>(_ body: (inout Document) throws -> R) rethrows -> R {
        try body(&document)
    }

    /// Shares this replica's presence (cursor, name...).
    package mutating func updatePresence(_ update: (inout Presence) -> Void, _ context: RouteContext) -> [Outgoing] {
        var mine = localPresence ?? Presence(replica: replica)
        update(&mine)
        mine.replica = replica
        mine.clock = (localPresence?.clock ?? 0) + 1
        localPresence = mine
        let message = WireMessage(
            topic: topic,
            header: MessageHeader(type: .presence, origin: replica, sender: context.node, lamport: document.lamport, term: context.term),
            payload: mine.encoded())
        var out: [Outgoing] = []
        if context.hasChildren { out.append(Outgoing(.children, message)) }
        if context.hasParent { out.append(Outgoing(.parent, message)) }
        return out
    }

    // MARK: - Incoming messages

    /// Handles a document message from the tree.
    package mutating func receive(_ message: WireMessage, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        switch message.header.type {
        case .delta: return receiveDelta(message, from: peer, context)
        case .syncRequest:
            guard let request = decode(SyncRequest.self, message) else { return [] }
            return answer(request, from: peer, context)
        case .syncReply:
            guard let reply = decode(SyncReply.self, message) else { return [] }
            return receiveReply(reply, from: peer, context)
        case .transferChunk:
            guard let chunk = decode(TransferChunk.self, message) else { return [] }
            return receiveChunk(chunk, from: peer, context)
        case .transferAck:
            guard let ack = decode(TransferAck.self, message) else { return [] }
            return receiveAck(ack, from: peer, context)
        case .presence:
            return receivePresence(message, from: peer, context)
        case .held:
            guard let held = decode(HeldVersion.self, message) else { return [] }
            switch peer {
            case .parent: stability.treeHolds(held.version)
            case .child(let child): stability.child(child, holds: held.version)
            }
            return []
        default:
            counters.badMessages += 1
            return []
        }
    }

    private mutating func decode<P: WirePayload>(_ type: P.Type, _ message: WireMessage) -> P? {
        do throws(FormatError) {
            let payload = try P(decoding: message.payload, limits: document.limits.decoding)
            return payload
        } catch {
            counters.badMessages += 1
            counters.lastProblem = "\(message.header.type) from \(message.header.sender.shortDescription): \(error)"
            return nil
        }
    }

    private mutating func receiveDelta(_ message: WireMessage, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        if message.header.origin == replica {
            counters.echoesDropped += 1
            return []
        }
        let report: ApplyReport
        do {
            report = try document.apply(encoded: message.payload, author: message.header.origin, trusting: context.trusting(peer))
        } catch {
            counters.badMessages += 1
            counters.lastProblem = "delta from \(message.header.sender.shortDescription): \(error)"
            return []
        }
        record(report)
        // A delta is one transaction of its origin: its end goes into the history.
        if report.applied > 0 { document.noteTransactionEnd(of: message.header.origin) }
        // Relay only what was new here: duplicates stop, so nothing circulates.
        guard report.applied > 0 || report.held > 0 else { return [] }
        var relayed = message
        relayed.header.sender = context.node
        relayed.header.term = context.term
        var out: [Outgoing] = []
        if context.hasChildren { out.append(Outgoing(.children, relayed)) }
        if case .child = peer, context.hasParent { out.append(Outgoing(.parent, relayed)) }
        return out
    }

    private mutating func record(_ report: ApplyReport) {
        counters.operationsApplied += UInt64(report.applied)
        counters.duplicateOperations += UInt64(report.duplicates)
        counters.operationsRejected += UInt64(report.rejected)
        if report.rejected > 0 { counters.lastProblem = report.rejectionReasons.first }
        counters.held = UInt64(document.pendingOperationCount)
    }

    // MARK: - Sync

    /// Starts a sync with a peer: "this is what I have".
    package func syncRequest(to peer: Peer, _ context: RouteContext) -> Outgoing {
        let request = SyncRequest(document: id, version: document.versionVector)
        return Outgoing(Destination(peer), control(.syncRequest, request.encoded, context))
    }

    /// This node just (re)joined a parent: push its own operations the parent may lack (the
    /// outbox), and ask the parent for what it lacks itself.
    package mutating func parentJoined(_ context: RouteContext) -> [Outgoing] {
        var out: [Outgoing] = []
        let mine = document.localOperationCount
        if mine > parentAcknowledged {
            let fragment = document.fragment(of: replica, counters: parentAcknowledged..<mine)
            if !fragment.isEmpty { out.append(Outgoing(.parent, delta(fragment.encoded(omittingAuthor: replica), origin: replica, context))) }
        }
        out.append(syncRequest(to: .parent, context))
        repairTimers[.parent, default: RepairTimer()].requested(at: context.now)
        return out
    }

    /// A child left or died: forget its transfers.
    package mutating func childGone(_ child: ReplicaID) {
        acknowledged[.child(child)] = nil
        heldWhole[.child(child)] = nil
        stability.childGone(child)
        outgoing = outgoing.filter { $0.value.peer != .child(child) }
        repairTimers[.child(child)] = nil
        flow.forget(child)
    }

    /// See ``NodeMachine/stopWaitingForSlowestChildren(_:)``.
    package mutating func stopWaitingForSlowestChildren() -> [ReplicaID] {
        flow.exemptSlowest(total: document.operationTotal)
    }

    /// The parent changed: transfers from the old one are void.
    package mutating func parentGone() {
        acknowledged[.parent] = nil
        heldWhole[.parent] = nil
        stability.parentGone()
        incoming = incoming.filter { $0.value.peer != .parent }
        outgoing = outgoing.filter { $0.value.peer != .parent }
        repairTimers[.parent]?.matched()
    }

    private mutating func answer(_ request: SyncRequest, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        counters.syncRequestsAnswered += 1
        note(request.version, heldBy: peer)
        let mine = document.versionVector
        // A transfer already on its way covers part of what it lacks: answer only the rest, or
        // a slow receiver would be sent the whole document again on every repair.
        let inFlight = transferring(to: peer)
        let known = inFlight.map { request.version.merging($0) } ?? request.version
        if inFlight != nil, document.lacksHistory(since: request.version) || known.dominates(mine) {
            let reply = SyncReply(document: id, version: mine, fragment: [], transferFollows: true)
            return [Outgoing(Destination(peer), control(.syncReply, reply.encoded, context))]
        }
        if document.lacksHistory(since: request.version) {
            // The operations it lacks are trimmed here: it gets the state instead.
            let reply = SyncReply(document: id, version: mine, fragment: [], transferFollows: true)
            return [Outgoing(Destination(peer), control(.syncReply, reply.encoded, context))]
                + startTransfer(document.encodedSnapshot(), kind: .snapshot, covering: mine, to: peer, context)
        }
        let missing = document.fragment(since: known)
        let bytes = missing.isEmpty ? [] : missing.encoded()
        if bytes.count <= settings.inlineReplyLimit {
            let reply = SyncReply(document: id, version: mine, fragment: bytes)
            return [Outgoing(Destination(peer), control(.syncReply, reply.encoded, context))]
        }
        // Too big for one message: a joiner with nothing gets a snapshot, others the fragment,
        // chunked and flow-controlled.
        let reply = SyncReply(document: id, version: mine, fragment: [], transferFollows: true)
        var out = [Outgoing(Destination(peer), control(.syncReply, reply.encoded, context))]
        let whole = known.isEmpty
        out += startTransfer(whole ? document.encodedSnapshot() : bytes, kind: whole ? .snapshot : .fragment, covering: mine, to: peer, context)
        return out
    }

    private mutating func receiveReply(_ reply: SyncReply, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        counters.syncRepliesReceived += 1
        note(reply.version, heldBy: peer)
        var out: [Outgoing] = []
        if !reply.fragment.isEmpty {
            do {
                let report = try document.apply(encoded: reply.fragment, trusting: context.trusting(peer))
                record(report)
                counters.repairedOperations += 1
                // What the repair brought is news below too: it goes down as a delta, as a
                // relayed delta would have. Otherwise a delta lost near the root was repaired
                // one level per repair round (a 50-node tree 16 levels deep after merges took
                // 5 s to close one gap; protocol §11.2).
                if report.applied > 0, context.hasChildren {
                    out.append(Outgoing(.children, delta(reply.fragment, origin: context.node, context)))
                }
            } catch {
                counters.badMessages += 1
                counters.lastProblem = "sync reply from \(peer): \(error)"
            }
        }
        return out + afterLearning(reply.version, of: peer, context, waitForTransfer: reply.transferFollows)
    }

    /// We now know `version`, the peer's state: note acknowledgements and send what it lacks.
    private mutating func afterLearning(_ version: VersionVector, of peer: Peer, _ context: RouteContext, waitForTransfer: Bool) -> [Outgoing] {
        if peer == .parent { parentAcknowledged = max(parentAcknowledged, version[replica]) }
        repairTimers[peer]?.restartMismatch()
        // What a transfer on its way will bring it is not sent again.
        let inFlight = transferring(to: peer)
        let known = inFlight.map { version.merging($0) } ?? version
        if document.lacksHistory(since: version) {
            guard inFlight == nil else { return [] }
            return startTransfer(document.encodedSnapshot(), kind: .snapshot, covering: document.versionVector, to: peer, context)
        }
        let lacking = document.fragment(since: known)
        guard !lacking.isEmpty else { return [] }
        let bytes = lacking.encoded()
        if bytes.count <= settings.inlineReplyLimit {
            return [Outgoing(Destination(peer), delta(bytes, origin: context.node, context))]
        }
        return startTransfer(bytes, kind: .fragment, covering: document.versionVector, to: peer, context)
    }

    /// A peer's heartbeat digest for this document: a mismatch that lasts starts a repair.
    package mutating func observe(_ digest: DocumentDigest, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        if case .child(let child) = peer { flow.reported(child, total: digest.operations) }
        let mine = self.digest
        guard mine.digest != digest.digest else {
            repairTimers[peer]?.matched()
            if heldWhole[peer] != mine.operations {
                heldWhole[peer] = mine.operations
                note(document.versionVector, heldBy: peer)
            }
            return []
        }
        // A transfer in flight either way is the repair: hold until it ends (and count the
        // mismatch from then, as the transfer's end may well close it).
        guard !isTransferring(with: peer) else {
            repairTimers[peer]?.restartMismatch()
            return []
        }
        let settled = document.pendingOperationCount == 0
        guard repairTimers[peer, default: RepairTimer()].mismatch(mine: mine.operations, theirs: digest.operations, settled: settled, now: context.now, settings) else { return [] }
        counters.repairsStarted += 1
        return [syncRequest(to: peer, context)]
    }

    // MARK: - Transfers

    /// What the transfers on their way to `peer` cover, merged; nil if none is.
    private func transferring(to peer: Peer) -> VersionVector? {
        var covering: VersionVector?
        for transfer in outgoing.values where transfer.peer == peer {
            covering = covering.map { $0.merging(transfer.covering) } ?? transfer.covering
        }
        return covering
    }

    /// True while a transfer goes to `peer` or comes from it.
    private func isTransferring(with peer: Peer) -> Bool {
        outgoing.values.contains { $0.peer == peer } || incoming.values.contains { $0.peer == peer }
    }

    private mutating func startTransfer(_ bytes: [UInt8], kind: TransferKind, covering: VersionVector, to peer: Peer, _ context: RouteContext) -> [Outgoing] {
        guard outgoing.count < settings.maxTransfers else {
            counters.transfersRefused += 1
            return []
        }
        let transfer = OutgoingTransfer(id: nextTransfer, peer: peer, kind: kind, covering: covering, bytes: bytes, chunkSize: settings.chunkSize)
        nextTransfer += 1
        outgoing[transfer.id] = transfer
        counters.transfersStarted += 1
        return pump(transfer.id, context)
    }

    /// Sends the chunks the window allows.
    private mutating func pump(_ id: UInt64, _ context: RouteContext) -> [Outgoing] {
        guard var transfer = outgoing[id] else { return [] }
        var out: [Outgoing] = []
        while transfer.nextToSend < transfer.chunkCount && transfer.nextToSend < transfer.acknowledged + UInt32(settings.window) {
            out.append(Outgoing(Destination(transfer.peer), chunkMessage(transfer, index: transfer.nextToSend, context)))
            transfer.nextToSend += 1
            transfer.lastSent = context.now
        }
        outgoing[id] = transfer
        return out
    }

    private func chunkMessage(_ transfer: OutgoingTransfer, index: UInt32, _ context: RouteContext) -> WireMessage {
        let start = Int(index) * transfer.chunkSize
        let end = min(transfer.bytes.count, start + transfer.chunkSize)
        let chunk = TransferChunk(
            transfer: transfer.id, document: id, index: index, count: transfer.chunkCount, kind: transfer.kind,
            totalSize: UInt64(transfer.bytes.count), covering: transfer.covering,
            bytes: Array(transfer.bytes[start..<end]))
        return control(.transferChunk, chunk.encoded, context)
    }

    private mutating func receiveAck(_ ack: TransferAck, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        guard var transfer = outgoing[ack.transfer], transfer.peer == peer else { return [] }
        if ack.next >= transfer.chunkCount {
            outgoing[ack.transfer] = nil
            counters.transfersCompleted += 1
            return []
        }
        if ack.next > transfer.acknowledged {
            transfer.acknowledged = ack.next
            transfer.retries = 0
        }
        outgoing[ack.transfer] = transfer
        return pump(ack.transfer, context)
    }

    private mutating func receiveChunk(_ chunk: TransferChunk, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        // Taken out while it grows: a copy left in the dictionary would share the received
        // bytes, and every chunk appended would copy all of them (quadratic in the transfer).
        let existing = incoming.removeValue(forKey: chunk.transfer)
        var transfer = existing ?? IncomingTransfer(peer: peer, count: chunk.count, kind: chunk.kind, totalSize: chunk.totalSize)
        guard transfer.peer == peer, transfer.count == chunk.count, transfer.kind == chunk.kind,
              chunk.totalSize <= UInt64(settings.maxTransferBytes), transfer.totalSize == chunk.totalSize,
              transfer.next == 0 || chunk.covering == transfer.covering
        else {
            if existing != nil { incoming[chunk.transfer] = transfer }
            counters.badMessages += 1
            return []
        }
        if existing == nil && incoming.count >= settings.maxTransfers {
            counters.transfersRefused += 1
            return []
        }
        transfer.lastHeard = context.now
        if chunk.index == transfer.next {
            if chunk.index == 0 { transfer.covering = chunk.covering }
            transfer.bytes.append(contentsOf: chunk.bytes)
            transfer.next += 1
            guard transfer.bytes.count <= Int(transfer.totalSize) else {
                counters.badMessages += 1
                return []
            }
        }
        let ack = TransferAck(transfer: chunk.transfer, document: id, next: transfer.next)
        var out = [Outgoing(Destination(peer), control(.transferAck, ack.encoded, context))]
        if transfer.next == transfer.count {
            out += complete(transfer, from: peer, context)
        } else {
            incoming[chunk.transfer] = transfer
        }
        return out
    }

    private mutating func complete(_ transfer: IncomingTransfer, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        guard transfer.bytes.count == Int(transfer.totalSize) else {
            counters.badMessages += 1
            return []
        }
        do {
            switch transfer.kind {
            case .snapshot:
                let loaded = try Document(snapshot: transfer.bytes, replica: replica, limits: document.limits)
                // Reading what this replica lacks decodes those logs (they stay encoded until
                // read): a peer's snapshot whose history fails its check is refused whole.
                let lacksHistory = loaded.lacksHistory(since: document.versionVector)
                guard !loaded.historyFailedCheck else { throw DocumentError(.malformed, "the snapshot's history fails its check") }
                if lacksHistory {
                    try mergeState(loaded, from: peer, context)
                } else {
                    record(try document.merge(loaded, trusting: context.trusting(peer)))
                }
            case .fragment:
                record(try document.apply(encoded: transfer.bytes, trusting: context.trusting(peer)))
            }
            counters.transfersCompleted += 1
        } catch {
            counters.badMessages += 1
            counters.lastProblem = "transfer from \(peer): \(error)"
            return []
        }
        note(transfer.covering, heldBy: peer)
        return afterLearning(transfer.covering, of: peer, context, waitForTransfer: false)
    }

    /// Takes in a state whose history is trimmed below what this replica holds. From a child,
    /// only if everything new in it is the child's to bring (the trust rule, as for operations)
    /// or vouched for: a child whose subtree claims the author is known to hold it too. (States
    /// cannot be split by author, and after a partition heals two subtrees may each hold, only as
    /// state, what the other claims: without vouching neither state could ever be taken in.)
    private mutating func mergeState(_ loaded: Document, from peer: Peer, _ context: RouteContext) throws {
        let mine = document.versionVector
        if let trusted = context.trusting(peer) {
            let acknowledged = self.acknowledged
            func vouched(_ author: ReplicaID, upTo count: UInt64) -> Bool {
                context.trust.claimers[author]?.contains { (acknowledged[.child($0)]?[author] ?? 0) >= count } ?? false
            }
            for (author, count) in loaded.versionVector.counters where count > mine[author] && !trusted(author) && !vouched(author, upTo: count) {
                counters.operationsRejected += count - mine[author]
                throw DocumentError(.invalidOperation, "a state from \(peer) brings operations of \(author.shortDescription), which it may not")
            }
        }
        let before = document.versionVector.totalOperations
        try document.mergeState(loaded)
        counters.operationsApplied += document.versionVector.totalOperations - before
        counters.statesMerged += 1
    }

    // MARK: - Trimming

    /// Records that `peer` holds at least `version`.
    private mutating func note(_ version: VersionVector, heldBy peer: Peer) {
        acknowledged[peer] = acknowledged[peer]?.merging(version) ?? version
    }

    /// The version every member of the tree holds, as far as this node knows
    /// (``HistoryStability``).
    package func trimFloor(_ context: RouteContext) -> VersionVector {
        stability.floor(document.versionVector, context)
    }

    /// Drops the history below the version every member of the tree holds, but for the last
    /// `keep` Lamport ticks' worth (``Document/version(keepingLast:)``). Returns true if
    /// anything was dropped.
    @discardableResult
    package mutating func trim(_ context: RouteContext, keep: UInt64 = 0) -> Bool {
        do {
            guard try document.trim(below: trimFloor(context).meeting(document.version(keepingLast: keep))) else { return false }
            counters.trims += 1
            return true
        } catch {
            counters.lastProblem = "trimming: \(error)"
            return false
        }
    }

    /// The automatic policy: trim when the history has outgrown the state.
    private mutating func trimIfDue(_ context: RouteContext) {
        guard case .automatic(let ratio, let minimum, let keep) = settings.trimming else { return }
        if let last = lastTrimCheck, context.now - last < settings.trimCheckInterval { return }
        // The first look sets this document's phase on this node, so the nodes of a tree (which
        // learn each floor together) do not all trim in the same instant: a host busy trimming
        // while its children were too went silent long enough to be declared dead.
        lastTrimCheck = lastTrimCheck == nil ? context.now - trimPhase(context.node) : context.now
        let history = document.historyOperations
        guard history >= minimum, history > ratio * document.stateSize else { return }
        trim(context, keep: keep)
    }

    /// Where in each trim-check interval `node` looks at this document: a fixed fraction of the
    /// interval from the node's ID and the document's (not `Hasher`: replays must be exact).
    func trimPhase(_ node: ReplicaID) -> Duration {
        let document = ReplicaID(deterministicFrom: id)
        let hash = VersionVector.mix(VersionVector.mix(document.high ^ node.high) ^ document.low ^ node.low)
        return settings.trimCheckInterval * (Double(hash >> 11) / Double(UInt64(1) << 53))
    }

    /// Timers: resend stalled chunks, drop dead transfers, expire presence.
    package mutating func tick(_ context: RouteContext) -> [Outgoing] {
        var out: [Outgoing] = []
        // Sorted: dictionary order is seeded per process, and replays must be exact.
        for id in outgoing.keys.sorted() {
            guard var transfer = outgoing[id], context.now - transfer.lastSent >= settings.chunkTimeout else { continue }
            transfer.retries += 1
            if transfer.retries > settings.maxChunkRetries {
                outgoing[id] = nil
                counters.transfersAbandoned += 1
                continue
            }
            transfer.nextToSend = transfer.acknowledged
            outgoing[id] = transfer
            out += pump(id, context)
        }
        for id in incoming.keys.sorted() where incoming[id].map({ context.now - $0.lastHeard >= settings.incomingTransferTimeout }) == true {
            incoming[id] = nil
            counters.transfersAbandoned += 1
        }
        presence.expire(now: context.now)
        out += heldReports(context)
        trimIfDue(context)
        return out
    }

    /// When ``tick(_:)`` may next act if no input arrives: a chunk to resend, a transfer to
    /// drop, a presence to expire, a held report, the automatic trim's look.
    /// (Asked after every input: no allocation.)
    package func nextDeadline(_ context: RouteContext) -> Duration? {
        // The timeouts in locals: a lazy map's closure that named `self` would copy the whole
        // sync (every field retained and released) on each call, after every input.
        let chunkTimeout = settings.chunkTimeout, incomingTimeout = settings.incomingTransferTimeout
        var next = earliest(
            outgoing.values.lazy.map { $0.lastSent + chunkTimeout }.min(),
            incoming.values.lazy.map { $0.lastHeard + incomingTimeout }.min())
        next = earliest(next, presence.nextExpiry)
        next = earliest(next, stability.nextDeadline(operations: document.operationTotal, context, interval: settings.heldReportInterval, refresh: settings.heldReportRefresh))
        if case .automatic = settings.trimming { next = earliest(next, lastTrimCheck.map { $0 + settings.trimCheckInterval } ?? .zero) }
        return next
    }

    /// This subtree's held version up, the tree's down, when they changed.
    private mutating func heldReports(_ context: RouteContext) -> [Outgoing] {
        let document = self.document
        let due = stability.reportsDue({ document.versionVector }, operations: document.operationTotal, context, interval: settings.heldReportInterval, refresh: settings.heldReportRefresh)
        var out: [Outgoing] = []
        if let up = due.up { out.append(Outgoing(.parent, control(.held, HeldVersion(version: up).encoded, context))) }
        if let down = due.down { out.append(Outgoing(.children, control(.held, HeldVersion(version: down).encoded, context))) }
        return out
    }

    // MARK: - Presence

    private mutating func receivePresence(_ message: WireMessage, from peer: Peer, _ context: RouteContext) -> [Outgoing] {
        guard message.header.origin != replica else { return [] }
        let update: Presence
        do throws(FormatError) {
            update = try Presence(decoding: message.payload, limits: document.limits.decoding)
        } catch {
            counters.badMessages += 1
            counters.lastProblem = "presence from \(message.header.sender.shortDescription): \(error)"
            return []
        }
        guard update.replica == message.header.origin else {
            counters.badMessages += 1
            counters.lastProblem = "presence of \(update.replica.shortDescription) in a message from origin \(message.header.origin.shortDescription)"
            return []
        }
        guard presence.update(update, now: context.now) else { return [] }
        var relayed = message
        relayed.header.sender = context.node
        var out: [Outgoing] = []
        if context.hasChildren { out.append(Outgoing(.children, relayed)) }
        if case .child = peer, context.hasParent { out.append(Outgoing(.parent, relayed)) }
        return out
    }

    // MARK: - Messages

    private func delta(_ bytes: [UInt8], origin: ReplicaID, _ context: RouteContext) -> WireMessage {
        WireMessage(
            topic: topic,
            header: MessageHeader(type: .delta, origin: origin, sender: context.node, lamport: document.lamport, term: context.term),
            payload: bytes)
    }

    private func control(_ type: MessageType, _ payload: [UInt8], _ context: RouteContext) -> WireMessage {
        WireMessage(
            topic: topic,
            header: MessageHeader(type: type, origin: context.node, sender: context.node, lamport: document.lamport, term: context.term),
            payload: payload)
    }
}

/// Counts of what a document's sync did, for status and metrics.
package struct SyncCounters: Sendable, Hashable {
    package var localOperations: UInt64 = 0
    package var operationsApplied: UInt64 = 0
    package var duplicateOperations: UInt64 = 0
    package var operationsRejected: UInt64 = 0
    package var held: UInt64 = 0
    package var echoesDropped: UInt64 = 0
    package var badMessages: UInt64 = 0
    package var syncRequestsAnswered: UInt64 = 0
    package var syncRepliesReceived: UInt64 = 0
    package var repairsStarted: UInt64 = 0
    package var repairedOperations: UInt64 = 0
    package var transfersStarted: UInt64 = 0
    package var transfersCompleted: UInt64 = 0
    package var transfersAbandoned: UInt64 = 0
    package var transfersRefused: UInt64 = 0
    /// Snapshots taken in as a state (their history was trimmed below this replica's).
    package var statesMerged: UInt64 = 0
    /// Times the history was trimmed.
    package var trims: UInt64 = 0
    package var lastProblem: String?

    package init() {}
}

struct OutgoingTransfer: Sendable {
    let id: UInt64
    let peer: Peer
    let kind: TransferKind
    let covering: VersionVector
    let bytes: [UInt8]
    let chunkSize: Int
    var acknowledged: UInt32 = 0
    var nextToSend: UInt32 = 0
    var lastSent: Duration = .zero
    var retries = 0

    init(id: UInt64, peer: Peer, kind: TransferKind, covering: VersionVector, bytes: [UInt8], chunkSize: Int) {
        self.id = id
        self.peer = peer
        self.kind = kind
        self.covering = covering
        self.bytes = bytes
        self.chunkSize = chunkSize
    }

    var chunkCount: UInt32 { UInt32(max(1, (bytes.count + chunkSize - 1) / chunkSize)) }
}

struct IncomingTransfer: Sendable {
    let peer: Peer
    let count: UInt32
    let kind: TransferKind
    let totalSize: UInt64
    var covering = VersionVector()
    var bytes: [UInt8] = []
    var next: UInt32 = 0
    var lastHeard: Duration = .zero
}
