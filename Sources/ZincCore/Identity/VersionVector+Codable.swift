/// A version vector is coded as an object from replica UUIDs to operation counts
/// (`{"6ba7b810-…": 12}`), the form `zinc status --json` shows and `zinc doc --at` takes.
extension VersionVector: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        var counters: [ReplicaID: UInt64] = [:]
        for (text, count) in try container.decode([String: UInt64].self) {
            guard let replica = ReplicaID(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a replica UUID")
            }
            counters[replica] = count
        }
        self.init(counters)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(stringKeyed)
    }

    /// The vector keyed by UUID text.
    package var stringKeyed: [String: UInt64] {
        Dictionary(uniqueKeysWithValues: counters.map { ($0.key.uuidString, $0.value) })
    }
}
