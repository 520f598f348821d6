/// The admin interface's JSON form of a status: the keys and string values scripts depend on
/// (`role`, `link`, IDs as UUID text, `counters` as an object), plus `linkNode` (the full ID
/// behind `link`) so the form decodes back losslessly.
extension EndpointStatus: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, name, role, link, linkNode, parent, children, term, depth, root, lamport, versionVector, endpoints, webSocket, browsers, certificate, refusals, packing, documents, counters
    }

    private struct AddressesJSON: Codable {
        var publish: String
        var pull: String
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(ReplicaID.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        role = try container.decode(Role.self, forKey: .role)
        parent = try container.decodeIfPresent(ReplicaID.self, forKey: .parent)
        let linkText = try container.decode(String.self, forKey: .link)
        let linkNode = try container.decodeIfPresent(ReplicaID.self, forKey: .linkNode)
        link = try Self.link(linkText, node: linkNode ?? parent, in: container)
        children = try container.decode([ReplicaID].self, forKey: .children)
        term = try container.decode(UInt64.self, forKey: .term)
        depth = try container.decode(UInt32.self, forKey: .depth)
        root = try container.decode(ReplicaID.self, forKey: .root)
        lamport = try container.decode(UInt64.self, forKey: .lamport)
        versionVector = try container.decode(VersionVector.self, forKey: .versionVector)
        addresses = try container.decodeIfPresent(AddressesJSON.self, forKey: .endpoints).map { Endpoint.Addresses(publish: $0.publish, pull: $0.pull) }
        webSocket = try container.decodeIfPresent(String.self, forKey: .webSocket)
        browsers = try container.decodeIfPresent([ReplicaID].self, forKey: .browsers) ?? []
        certificate = try container.decodeIfPresent(CertificateStatus.self, forKey: .certificate)
        refusals = try container.decodeIfPresent([String].self, forKey: .refusals) ?? []
        // Absent from a node before 0.3.0, which packs only with --batch and then to everyone.
        packing = try container.decodeIfPresent(Packing.self, forKey: .packing) ?? Packing()
        documents = try container.decode([DocumentStatus].self, forKey: .documents)
        counters = try container.decode(Counters.self, forKey: .counters)
    }

    private static func link(_ text: String, node: ReplicaID?, in container: KeyedDecodingContainer<CodingKeys>) throws -> Link {
        switch text {
        case "none": return .none
        case "failing over": return .failingOver
        case _ where text.hasPrefix("connecting to "): return .connecting(to: String(text.dropFirst("connecting to ".count)))
        case _ where text.hasPrefix("joining "):
            guard let node else { break }
            return .joining(node)
        case _ where text.hasPrefix("joined "):
            guard let node else { break }
            return .joined(node)
        default: break
        }
        throw DecodingError.dataCorruptedError(forKey: .link, in: container, debugDescription: "unknown link state \"\(text)\"")
    }

    /// Encodes every key, `parent`, `linkNode`, `endpoints` and `webSocket` as `null` when absent (scripts
    /// test for them).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        try container.encode(link.description, forKey: .link)
        switch link {
        case .joining(let node), .joined(let node): try container.encode(node, forKey: .linkNode)
        case .none, .connecting, .failingOver: try container.encodeNil(forKey: .linkNode)
        }
        try container.encode(parent, forKey: .parent)
        try container.encode(children, forKey: .children)
        try container.encode(term, forKey: .term)
        try container.encode(depth, forKey: .depth)
        try container.encode(root, forKey: .root)
        try container.encode(lamport, forKey: .lamport)
        try container.encode(versionVector, forKey: .versionVector)
        try container.encode(addresses.map { AddressesJSON(publish: $0.publish, pull: $0.pull) }, forKey: .endpoints)
        try container.encode(webSocket, forKey: .webSocket)
        try container.encode(browsers, forKey: .browsers)
        try container.encode(certificate, forKey: .certificate)
        try container.encode(refusals, forKey: .refusals)
        try container.encode(packing, forKey: .packing)
        try container.encode(documents, forKey: .documents)
        try container.encode(counters, forKey: .counters)
    }
}

/// Counters are coded as one object of named numbers (`{"messagesIn": 12, ...}`), every name
/// present; unknown names from newer nodes are ignored.
extension EndpointStatus.Counters: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let named = try container.decode([String: UInt64].self)
        self.init()
        for name in Name.allCases { self[name] = named[name.rawValue] ?? 0 }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: Name.allCases.map { ($0.rawValue, self[$0]) }))
    }
}
