extension Duration {
    /// The duration in seconds, for summaries and rates.
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
