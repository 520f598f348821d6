/// The earlier of two optional deadlines (nil: none), for the `nextDeadline` of each timer
/// holder (``NodeMachine/nextDeadline(now:)``).
func earliest(_ a: Duration?, _ b: Duration?) -> Duration? {
    guard let a else { return b }
    guard let b else { return a }
    return min(a, b)
}
