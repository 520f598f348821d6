/// Why an encoding could not be decoded. Every decoder in Zinc reports one of these instead of
/// trapping, whatever the input.
@usableFromInline
package struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Reason: String, Sendable, Hashable {
        /// The input ended in the middle of a value.
        case truncated
        /// A value is out of its allowed range or malformed (an overlong varint, bad UTF-8, ...).
        case invalid
        /// A size exceeds a configured ``DecodingLimits`` value.
        case limitExceeded
        /// The format or version is not one this build reads.
        case unsupportedVersion
        /// Bytes were left over after a complete value.
        case trailingBytes
    }

    package let reason: Reason
    /// What was being decoded, and where ("fragment op 3: content length").
    package let context: String

    package init(_ reason: Reason, _ context: String) {
        self.reason = reason
        self.context = context
    }

    @usableFromInline
    package var description: String { "\(reason.rawValue): \(context)" }
}
