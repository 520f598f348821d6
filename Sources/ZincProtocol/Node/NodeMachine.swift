package import ZincCore

/// A whole node as one pure state machine: its ``NodeCore`` (membership and routing) and the
/// ``DocumentSync`` of every document it replicates. Inputs in, shell directives out: the
/// core's document events (``CoreDirective/document(_:_:)``) are handled inside, so a shell
/// only ever sees work for its transport, handlers and observers. The runtime's listener and
/// the deterministic simulator both drive exactly this type, through ``NodeShell``.
package struct NodeMachine: Sendable {
    package private(set) var core: NodeCore
    package private(set) var documents: [String: DocumentSync] = [:]
    package var settings: SyncSettings
    package var documentLimits: DocumentLimits
    /// Why this node may not write (a reader's certificate), if it may not: local edits then
    /// throw ``DocumentError/Reason/readOnly`` and change nothing.
    package var readOnlyReason: String?
    /// The replica ID this node edits new documents as. It must never be reused with a fresh
    /// (empty) history: counters would repeat and peers would drop the new edits as duplicates.
    /// Nodes that lost their state therefore start with a new one.
    package let documentReplica: ReplicaID
    /// Documents whose content changed since the last ``takeChangedDocuments()``.
    package private(set) var changedDocuments: Set<String> = []

    /// How close local transactions must be to form one undo step, in every document.
    package let undoCaptureWindow: Duration
    /// Where the shell was last told it may pack (``NodeDirective/pack(_:)``).
    private var announcedPacking = Packing.nowhere

    package init(
        configuration: NodeConfiguration, settings: SyncSettings = SyncSettings(), documentLimits: DocumentLimits = .default,
        undoCaptureWindow: Duration = .milliseconds(500), documents: [String: Document] = [:], documentReplica: ReplicaID? = nil
    ) {
        core = NodeCore(configuration: configuration)
        self.documentReplica = documentReplica ?? documents.values.first?.replica ?? ReplicaID.random()
        core.claim(self.documentReplica)
        self.settings = settings
        self.documentLimits = documentLimits
        self.undoCaptureWindow = undoCaptureWindow
        for (id, var document) in documents {
            document.undoCaptureWindow = undoCaptureWindow
            self.documents[id] = DocumentSync(id: id, document: document, settings: settings)
        }
    }

    package var id: ReplicaID { core.id }

    package func context(now: Duration) -> RouteContext { core.context(now: now) }

    // MARK: - Inputs

    package mutating func start(now: Duration) -> [NodeDirective] {
        var out = core.start(now: now)
        for id in documents.keys.sorted() { out += core.open(id, now: now) }
        return expand(out, now: now)
    }

    /// A message from the SUB or PULL socket, already decoded.
    package mutating func receive(_ message: WireMessage, via channel: Channel, now: Duration) -> [NodeDirective] {
        expand(core.receive(message, via: channel, now: now), now: now)
    }

    package mutating func receiveBeacon(_ beacon: Beacon, now: Duration) -> [NodeDirective] {
        expand(core.receiveBeacon(beacon, now: now), now: now)
    }

    /// Whatever arrived on the SUB or PULL socket.
    package mutating func receive(_ inbound: Inbound, via channel: Channel, now: Duration) -> [NodeDirective] {
        switch inbound {
        case .beacon(let beacon): receiveBeacon(beacon, now: now)
        case .message(let message): receive(message, via: channel, now: now)
        }
    }

    /// A welcome beacon arrived on the probe socket.
    package mutating func receiveProbeBeacon(_ beacon: Beacon, now: Duration) -> [NodeDirective] {
        expand(core.receiveProbeBeacon(beacon, now: now), now: now)
    }

    package mutating func subscriptionChanged(_ prefix: [UInt8], subscribed: Bool, now: Duration) -> [NodeDirective] {
        expand(core.subscriptionChanged(prefix, subscribed: subscribed, now: now), now: now)
    }

    /// The gateway connection of browser `node` closed (§23).
    package mutating func gatewayClosed(_ node: ReplicaID, now: Duration) -> [NodeDirective] {
        expand(core.gatewayClosed(node), now: now)
    }

    /// The shell cut a child's connections (its certificate was revoked or expired): it is gone
    /// now, without waiting for the failure detector.
    package mutating func childCut(_ node: ReplicaID, now: Duration) -> [NodeDirective] {
        expand(core.childCut(node), now: now)
    }

    /// A datagram arrived on the discovery port.
    package mutating func receiveDatagram(_ bytes: [UInt8], from source: DatagramSource, now: Duration) -> [NodeDirective] {
        expand(core.receiveDatagram(bytes, from: source, now: now), now: now)
    }

    /// The transport saw the connection to the parent close.
    package mutating func parentDisconnected(now: Duration) {
        core.parentDisconnected(now: now)
    }

    package mutating func tick(now: Duration) -> [NodeDirective] {
        // Move the documents out while the core runs: the digests closure updates their caches,
        // and a uniquely owned dictionary is mutated in place, without copy-on-write copies.
        var documents = self.documents
        self.documents = [:]
        let fromCore = core.tick(now: now, digests: { documents.keys.sorted().compactMap { documents[$0]?.digest } })
        let context = core.context(now: now)
        var fromDocuments: [NodeDirective] = []
        for id in documents.keys.sorted() {
            let produced = documents[id]?.tick(context) ?? []
            fromDocuments += produced.compactMap { core.route($0) }
        }
        self.documents = documents
        // The core's directives first, as they were before the documents were moved out.
        return expand(fromCore, now: now) + fromDocuments
    }

    /// The earliest time at which ``tick(now:)`` may act if no input arrives before it: a shell
    /// sleeps until then (never longer than it would have ticked before, never sooner than its
    /// cadence), so an idle node wakes only for heartbeats. Inputs can move it earlier: ask
    /// again after each.
    package func nextDeadline(now: Duration) -> Duration {
        let context = core.context(now: now)
        var deadline = core.nextDeadline(now: now)
        // By index: the subscript lends each sync in place, where a for-in loop would copy
        // (retain and release) every field of every document on each call, after every input.
        var index = documents.values.startIndex
        while index != documents.values.endIndex {
            if let next = documents.values[index].nextDeadline(context), next < deadline { deadline = next }
            documents.values.formIndex(after: &index)
        }
        return deadline
    }

    /// When a shell runs the timers next: at ``nextDeadline(now:)``, but never sooner than
    /// `cadence` after the last run (`lastRun`) while the node is busy, and never in the past.
    /// The runtime's loop and the simulator both schedule by this rule.
    package func nextTimerRun(now: Duration, lastRun: Duration, cadence: Duration) -> Duration {
        Self.timerRun(deadline: nextDeadline(now: now), now: now, lastRun: lastRun, cadence: cadence)
    }

    /// ``nextTimerRun(now:lastRun:cadence:)`` for a `deadline` already asked for.
    package static func timerRun(deadline: Duration, now: Duration, lastRun: Duration, cadence: Duration) -> Duration {
        max(now, deadline, lastRun + cadence)
    }

    /// True while `document`'s slowest child is `window` or more of its local deltas behind:
    /// local edits of it wait (docs/protocol.md §18). False for a document not replicated.
    package func isAhead(_ document: String, window: Int) -> Bool {
        guard let index = documents.index(forKey: document) else { return false }
        return documents.values[index].flow.lag >= window
    }

    /// Stops holding `document`'s local edits back for the children `window` or more deltas
    /// behind, slowest first, until the rest are within it (they stayed behind for too long:
    /// digest repair serves them). Returns them.
    package mutating func stopWaitingForChildren(_ document: String, behind window: Int) -> [ReplicaID] {
        withSync(document) { sync in
            var released: [ReplicaID] = []
            while sync.flow.lag >= window {
                let slowest = sync.stopWaitingForSlowestChildren()
                guard !slowest.isEmpty else { break }
                released += slowest
            }
            return released
        } ?? []
    }

    /// Runs `body` on a document's sync in place. (Copying it out of the dictionary and back
    /// would keep two references while it mutates, copying the whole document on every write.)
    private mutating func withSync<R>(_ id: String, _ body: (inout DocumentSync) throws -> R) rethrows -> R? {
        guard var sync = documents.removeValue(forKey: id) else { return nil }
        // Not `consume sync` here: in a defer, Swift 6.3.1 stored a value whose buffers were
        // freed (the fan-out bench crashed within a second).
        defer { documents[id] = sync }
        return try body(&sync)
    }

    /// Opens (starts replicating) a document.
    package mutating func open(_ document: String, now: Duration) -> [NodeDirective] {
        expand(core.open(document, now: now), now: now)
    }

    /// A local edit of `document` (opened if needed). Returns the committed fragment.
    package mutating func edit(
        _ document: String, now: Duration, _ body: (inout Document) throws -> Void
    ) throws -> (fragment: DocumentFragment, directives: [NodeDirective]) {
        if let readOnlyReason { throw DocumentError(.readOnly, readOnlyReason) }
        var out = open(document, now: now)
        let context = core.context(now: now)
        guard let result = try withSync(document, { try $0.edit(context, body) }) else {
            throw DocumentError(.invalidOperation, "document \(document) is not valid")
        }
        changedDocuments.insert(document)
        out += result.outgoing.compactMap { core.route($0) }
        return (result.fragment, out)
    }

    /// Runs `body` on a document (undo, redo, settings) and publishes what it committed.
    package mutating func withDocument<R>(_ document: String, now: Duration, _ body: (inout Document) throws -> R) rethrows -> (R, [NodeDirective]) {
        guard documents.index(forKey: document) != nil else { return (try body(&scratch), []) }
        let context = core.context(now: now)
        var published: [Outgoing] = []
        var committed = false
        let readOnlyReason = self.readOnlyReason
        let result = try withSync(document) { sync throws -> R in
            let before = sync.document.localOperationCount
            let original = readOnlyReason == nil ? nil : sync
            let result = try sync.withDocument(body)
            let after = sync.document.localOperationCount
            if let original, let readOnlyReason, after > before {
                sync = original
                throw DocumentError(.readOnly, readOnlyReason)
            }
            if after > before {
                committed = true
                let fragment = sync.document.fragment(of: sync.replica, counters: before..<after)
                published = sync.publish(fragment, context)
            }
            return result
        }
        guard let result else { return (try body(&scratch), []) }
        // Changed even when there is nobody to send it to (a node alone in its tree).
        if committed { changedDocuments.insert(document) }
        return (result, published.compactMap { core.route($0) })
    }

    private var scratch = Document()

    /// Runs `body` on a document's local state (change recording, taking recorded changes)
    /// without publishing anything; `body` must not make operations. Nil if not replicated.
    package mutating func peek<R>(_ document: String, _ body: (inout Document) throws -> R) rethrows -> R? {
        try withSync(document) { sync throws -> R in
            let before = sync.document.localOperationCount
            let result = try sync.withDocument(body)
            precondition(sync.document.localOperationCount == before, "peek must not make operations")
            return result
        }
    }

    /// Drops the history of `document` below what every neighbour holds (`zinc trim`). Returns
    /// false if there was nothing to drop (or no such document).
    package mutating func trim(_ document: String, now: Duration) -> Bool {
        let context = core.context(now: now)
        return withSync(document) { $0.trim(context) } ?? false
    }

    /// Shares this node's presence in a document.
    package mutating func updatePresence(_ document: String, now: Duration, _ update: (inout Presence) -> Void) -> [NodeDirective] {
        let context = core.context(now: now)
        guard let out = withSync(document, { $0.updatePresence(update, context) }) else { return [] }
        return out.compactMap { core.route($0) }
    }

    /// Sends an application message.
    package mutating func send(channel: String, routing: Routing, body: [UInt8]) -> [NodeDirective] {
        core.send(channel: channel, routing: routing, body: body)
    }

    package mutating func leave(now: Duration) -> [NodeDirective] {
        expand(core.leave(now: now), now: now)
    }

    /// The documents changed since the last call (for observers).
    package mutating func takeChangedDocuments() -> Set<String> {
        defer { changedDocuments.removeAll() }
        return changedDocuments
    }

    package var digests: [DocumentDigest] {
        mutating get {
            var result: [DocumentDigest] = []
            for id in documents.keys.sorted() {
                if let digest = withSync(id, { $0.digest }) { result.append(digest) }
            }
            return result
        }
    }

    // MARK: - Expansion

    private func newDocument() -> Document {
        var document = Document(replica: documentReplica, limits: documentLimits)
        document.undoCaptureWindow = undoCaptureWindow
        return document
    }

    /// Runs the core's document events through the documents, leaving only shell work.
    private mutating func expand(_ directives: [CoreDirective], now: Duration) -> [NodeDirective] {
        var out: [NodeDirective] = []
        out.reserveCapacity(directives.count)
        for directive in directives {
            let id: String, event: DocumentEvent
            switch directive {
            case .node(let work):
                out.append(work)
                continue
            case .document(let document, let documentEvent):
                (id, event) = (document, documentEvent)
            }
            let context = core.context(now: now)
            if documents.index(forKey: id) == nil {  // `documents[id] == nil` would copy the sync
                documents[id] = DocumentSync(id: id, document: newDocument(), settings: settings)
            }
            // Moved out and back (not copied): see withSync.
            guard var sync = documents.removeValue(forKey: id) else { continue }
            var produced: [Outgoing] = []
            switch event {
            case .open:
                break
            case .message(let message, let peer):
                // Versions only grow: an unchanged total means nothing was applied or merged.
                let before = sync.document.operationTotal
                produced = sync.receive(message, from: peer, context)
                if sync.document.operationTotal != before || message.header.type == .presence { changedDocuments.insert(id) }
            case .digest(let digest, let peer):
                produced = sync.observe(digest, from: peer, context)
            case .parentJoined:
                produced = sync.parentJoined(context)
            case .parentLost:
                sync.parentGone()
            case .childGone(let child):
                sync.childGone(child)
            }
            documents[id] = consume sync
            out += produced.compactMap { core.route($0) }
        }
        announcePacking(&out)
        return out
    }

    /// Tells the shell when the core's ``NodeCore/packing`` changed with this input. Whatever
    /// packs in fewer places goes first, so nothing this input sends (the welcome to a joiner
    /// that cannot read packed frames, say) is packed; whatever packs in more goes last. An
    /// input that answered such a joiner without admitting it (a redirect) packs nothing down
    /// while it lasts.
    private mutating func announcePacking(_ out: inout [NodeDirective]) {
        let packing = core.packing
        var during = packing
        if core.takeAnswersUnpacked() { during.toChildren = false }
        guard during != announcedPacking || packing != announcedPacking else { return }
        let narrower = Packing(
            toChildren: during.toChildren && announcedPacking.toChildren, toParent: during.toParent && announcedPacking.toParent)
        if narrower != announcedPacking { out.insert(.pack(narrower), at: 0) }
        if narrower != packing { out.append(.pack(packing)) }
        announcedPacking = packing
    }
}
