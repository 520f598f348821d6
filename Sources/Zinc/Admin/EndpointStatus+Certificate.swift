import ZincCore
import ZincProtocol

extension EndpointStatus {
    /// What an admin client holding `certificate` may see of this status: the documents its
    /// certificate covers, the version vector over those alone, and no refusals (they name
    /// documents). Per-document permissions hold for admin clients as for nodes: a reader of
    /// `pub*` asking a member's admin port for its status learns nothing of `secret`, not even
    /// its name (docs/security.md, "Roles and documents").
    func visible(to certificate: NodeCertificate) -> EndpointStatus {
        guard !certificate.coversEveryDocument else { return self }
        var status = self
        status.documents = documents.filter { certificate.covers($0.id) }
        status.versionVector = status.documents.reduce(into: VersionVector()) { $0.merge($1.versionVector) }
        status.refusals = []
        return status
    }
}
