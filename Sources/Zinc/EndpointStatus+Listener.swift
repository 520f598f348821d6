import ZeroMQ
import ZincProtocol

extension EndpointStatus {
    /// The listener's state now (on its I/O thread).
    init(_ listener: ChannelListener) {
        let core = listener.machine.core
        id = core.id
        name = listener.configuration.name
        role = Role(core.role)
        link = Link(core.parentLink)
        parent = core.parentID
        children = core.childIDs
        term = core.term
        depth = core.depth
        root = core.root
        lamport = listener.machine.documents.values.map(\.document.lamport).max() ?? 0
        var merged = VersionVector()
        for sync in listener.machine.documents.values { merged.merge(sync.document.versionVector) }
        versionVector = merged
        addresses = core.configuration.endpoints.map { Endpoint.Addresses(publish: $0.publish, pull: $0.pull) }
        webSocket = listener.gateway?.url
        browsers = core.gatewayChildIDs
        if listener.configuration.batchesMessages { packing = Packing(toChildren: core.packing.toChildren, toParent: core.packing.toParent) }
        if let certified = listener.certified {
            let own = certified.identity.certificate
            var children: [String: String] = [:]
            for child in core.childIDs {
                if let name = certified.rules.certificate(ofNode: child)?.name { children[child.description] = name }
            }
            certificate = CertificateStatus(
                name: own.name, role: own.role.description, documents: own.documents.map(\.text),
                parent: certified.parentCertificate?.name, children: children)
            refusals = certified.rules.recentRefusals.map(\.description)
        }
        documents = listener.machine.documents.keys.sorted().compactMap { id in
            guard let document = listener.machine.documents[id]?.document else { return nil }
            return DocumentStatus(
                id: id, length: document.length(), operations: document.versionVector.totalOperations,
                sha256: SHA256.hex(Array(document.canonicalContent().utf8)),
                versionVector: document.versionVector, pending: document.pendingOperationCount)
        }
        counters = listener.allCounters()
    }
}

extension EndpointStatus.Role {
    init(_ role: NodeCore.Role) {
        switch role {
        case .root: self = .root
        case .host: self = .host
        case .client: self = .client
        case .joining: self = .joining
        }
    }
}

extension EndpointStatus.Link {
    init(_ link: NodeCore.LinkStage) {
        switch link {
        case .none: self = .none
        case .failingOver: self = .failingOver
        case .connecting(let address): self = .connecting(to: address)
        case .joining(let node): self = .joining(node)
        case .joined(let node): self = .joined(node)
        }
    }
}

extension ChannelListener {
    /// Every counter the endpoint keeps: the shell's, the protocol core's and the documents'.
    func allCounters() -> EndpointStatus.Counters {
        let core = machine.core
        var counters = EndpointStatus.Counters()
        counters[.messagesIn] = self.counters.messagesIn
        counters[.messagesOut] = transport.messagesOut
        counters[.framesOut] = transport.framesOut
        counters[.badMessages] = self.counters.badMessages + core.counters.badMessages
        counters[.rejected] = core.counters.rejected
        counters[.staleTerm] = core.counters.staleTerm
        counters[.backpressureDrops] = transport.backpressureDrops
        counters[.storeErrors] = self.counters.storeErrors
        counters[.editsHeldBack] = self.counters.editsHeldBack
        counters[.slowChildrenReleased] = self.counters.slowChildrenReleased
        counters[.handshakeFailures] = self.counters.handshakeFailures
        counters[.peersRefused] = (configuration.key?.domain ?? configuration.identity?.domain).map { ZAPRegistry.shared.denials(domain: $0, context: transport.publisher.context) } ?? 0
        counters[.redirects] = core.counters.redirects
        counters[.rebalances] = core.counters.rebalances
        counters[.promotions] = core.counters.promotions
        counters[.parentFailures] = core.counters.parentFailures
        counters[.childFailures] = core.counters.childFailures
        counters[.merges] = core.counters.merges
        counters[.claimsRefused] = core.counters.claimsRefused
        if let discovery = core.discovery?.counters {
            counters[.discoveryAnnounced] = discovery.announced
            counters[.discoveryHeard] = discovery.heard
            counters[.discoveryIgnored] = discovery.otherCluster
            counters[.discoveryDropped] = discovery.dropped
            counters[.surveysAnswered] = discovery.answered
        }
        if let access = certified?.rules.counters {
            counters[.certificatesAdmitted] = access.admitted
            counters[.certificatesRefused] = access.lobbyRefused
            counters[.subscriptionsRefused] = access.subscriptionsRefused
            counters[.accessRefused] = access.messagesRefused
            counters[.readerWritesRefused] = access.readerWritesRefused
            counters[.peersCut] = access.dropped
        }
        if let links = gatewayLinks {
            counters[.gatewayConnections] = links.counters.opened
            counters[.gatewayRefused] = links.counters.refused
            counters[.gatewayDrops] = links.counters.dropped
        }
        for sync in machine.documents.values {
            counters[.repairs] += sync.counters.repairsStarted
            counters[.operationsApplied] += sync.counters.operationsApplied
            counters[.duplicateOperations] += sync.counters.duplicateOperations
            counters[.localOperations] += sync.counters.localOperations
            counters[.badMessages] += sync.counters.badMessages
            counters[.transfers] += sync.counters.transfersCompleted
            counters[.operationsRejected] += sync.counters.operationsRejected
        }
        return counters
    }
}
