/// A certificate or authority file that cannot be used, and why.
package struct CertificateFileError: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
