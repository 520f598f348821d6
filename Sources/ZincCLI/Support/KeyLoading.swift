import Zinc

/// Reads `--key FILE`, turning any problem into one clear line.
func loadKey(_ path: String?) throws -> ClusterKey? {
    guard let path else { return nil }
    do {
        return try ClusterKey(contentsOf: path)
    } catch {
        throw CLIError("\(error)")
    }
}
