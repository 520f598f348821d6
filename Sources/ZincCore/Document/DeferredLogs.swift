import Synchronization

/// A loaded snapshot's replica logs, kept encoded until first read. Shared by every copy of the
/// document that loaded them; each log is decoded once, under a lock, and the result kept.
final class DeferredLogs: Sendable {
    /// Each log's bytes as the snapshot laid them out.
    let bytes: [[UInt8]]
    /// Each log's first counter, read eagerly (the history floor is checked at load).
    let bases: [UInt64]
    /// Each replica's operation count: its log must end there.
    let versions: [UInt64]
    let containerTypes: [ContainerType]
    let limits: DecodingLimits
    private let decoded: Mutex<[Decoded?]>

    private enum Decoded {
        case log(ReplicaLog)
        case defective(FormatError)
    }

    init(bytes: [[UInt8]], bases: [UInt64], versions: [UInt64], containerTypes: [ContainerType], limits: DecodingLimits) {
        self.bytes = bytes
        self.bases = bases
        self.versions = versions
        self.containerTypes = containerTypes
        self.limits = limits
        decoded = Mutex(Array(repeating: nil, count: bytes.count))
    }

    /// Log `index`, decoded and validated on first use; an empty log if it failed.
    func log(_ index: Int) -> ReplicaLog {
        decoded.withLock { resolve(index, in: &$0, keeping: true) }
    }

    /// Log `index` for a copy that will change it: the cached log is handed over rather than
    /// kept, so the copy owns its arrays and appends without copying them first. Another copy
    /// that reads it later decodes it again, to the same log.
    func take(_ index: Int) -> ReplicaLog {
        decoded.withLock { resolve(index, in: &$0, keeping: false) }
    }

    /// A defect is always kept: it is what marks the history unusable.
    private func resolve(_ index: Int, in decoded: inout [Decoded?], keeping: Bool) -> ReplicaLog {
        let result = decoded[index] ?? decode(index)
        switch result {
        case .log(let log):
            decoded[index] = keeping ? result : nil
            return log
        case .defective:
            decoded[index] = result
            return ReplicaLog(base: bases[index])
        }
    }

    /// Log `index` if it has been decoded (and passed its check), without decoding it.
    func cached(_ index: Int) -> ReplicaLog? {
        decoded.withLock { decoded in
            if case .log(let log) = decoded[index] { return log }
            return nil
        }
    }

    /// True once log `index` was decoded, whatever came of it.
    func isDecoded(_ index: Int) -> Bool {
        decoded.withLock { $0[index] != nil }
    }

    /// True if log `index` was decoded and failed its check.
    func isDefective(_ index: Int) -> Bool {
        decoded.withLock { decoded in
            if case .defective = decoded[index] { return true }
            return false
        }
    }

    /// True if any log decoded so far failed its check.
    var isDefective: Bool {
        decoded.withLock { decoded in
            decoded.contains { if case .defective = $0 { true } else { false } }
        }
    }

    private func decode(_ index: Int) -> Decoded {
        do throws(FormatError) {
            let log = try withReader(bytes[index], limits: limits) { (reader) throws(FormatError) -> ReplicaLog in
                let log = try Document.decodeLog(
                    &reader, owner: UInt32(index), base: bases[index], legacy: false, expectedOperations: versions[index],
                    containerTypes: containerTypes, replicaCount: bases.count)
                try reader.expectEnd("replica log")
                return log
            }
            return .log(log)
        } catch {
            return .defective(error)
        }
    }
}
