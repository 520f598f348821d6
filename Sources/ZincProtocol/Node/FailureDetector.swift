#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A phi-accrual failure detector (Hayashibara et al.), fed by the arrival of any message from
/// one peer, with time passed in. φ measures how surprising the current silence is given the
/// recent intervals; the peer is *suspected* above one threshold and *dead* above a higher one.
///
/// A floor on the standard deviation and an "acceptable pause" keep a machine under load (or a
/// garbage-collecting peer) from being declared dead on one late heartbeat; a closed connection
/// is strong evidence and can be reported with ``noteDisconnect(at:)`` to shorten the wait.
package struct FailureDetector: Sendable, Hashable {
    package struct Settings: Sendable, Hashable {
        /// φ above which the peer is suspected.
        package var suspectThreshold: Double = 3
        /// φ above which the peer is declared dead.
        package var deadThreshold: Double = 8
        /// Intervals remembered.
        package var window = 64
        /// The least standard deviation assumed (jitter on a quiet loopback is tiny).
        package var minimumDeviation: Duration = .milliseconds(60)
        /// Silence added to the expected interval before φ grows (scheduling hiccups).
        package var acceptablePause: Duration = .milliseconds(250)
        /// With the connection seen closed, the peer is dead after this much silence.
        package var deadAfterDisconnect: Duration = .milliseconds(300)
        /// Without any heartbeat history, dead after this much silence.
        package var bootstrapTimeout: Duration = .seconds(2)

        package init() {}

        /// For links across a WAN, or machines that pause for long (virtual machines,
        /// garbage-collected neighbours): a second of silence is taken as jitter, not death.
        package static var wan: Settings {
            var settings = Settings()
            settings.acceptablePause = .seconds(1)
            settings.minimumDeviation = .milliseconds(250)
            settings.deadThreshold = 10
            settings.bootstrapTimeout = .seconds(5)
            return settings
        }
    }

    package enum Status: Sendable, Hashable {
        case alive, suspect, dead
    }

    package var settings: Settings
    private var intervals: [Double] = []
    private var next = 0
    private var sum = 0.0
    private var squares = 0.0
    package private(set) var lastHeard: Duration
    private var disconnectedAt: Duration?

    package init(settings: Settings = Settings(), now: Duration) {
        self.settings = settings
        lastHeard = now
    }

    /// Any message from the peer arrived.
    package mutating func heartbeat(at now: Duration) {
        let interval = seconds(now - lastHeard)
        lastHeard = now
        disconnectedAt = nil
        guard interval > 0 else { return }
        if intervals.count < settings.window {
            intervals.append(interval)
        } else {
            let old = intervals[next]
            sum -= old
            squares -= old * old
            intervals[next] = interval
            next = (next + 1) % settings.window
        }
        sum += interval
        squares += interval * interval
    }

    /// The transport saw the connection close (libzmq's monitor: disconnected).
    package mutating func noteDisconnect(at now: Duration) {
        if disconnectedAt == nil { disconnectedAt = now }
    }

    /// φ at `now`.
    package func phi(at now: Duration) -> Double {
        let silence = seconds(now - lastHeard)
        guard intervals.count >= 2 else {
            return silence >= seconds(settings.bootstrapTimeout) ? .infinity : silence / seconds(settings.bootstrapTimeout) * settings.suspectThreshold
        }
        let count = Double(intervals.count)
        let mean = sum / count
        let variance = max(0, squares / count - mean * mean)
        let deviation = max(variance.squareRoot(), seconds(settings.minimumDeviation))
        let expected = mean + seconds(settings.acceptablePause)
        // φ = -log10(P(silence ≥ t)) for a normal distribution, via the logistic approximation.
        let y = (silence - expected) / deviation
        let e = exp(-y * (1.5976 + 0.070566 * y * y))
        let probability = silence > expected ? e / (1 + e) : 1 - 1 / (1 + e)
        return -log10(max(probability, 1e-300))
    }

    /// The earliest time at which ``status(at:)`` reaches `target` if nothing more is heard
    /// (what a shell sleeps until; ``NodeMachine/nextDeadline(now:)``).
    package func deadline(reaching target: Status) -> Duration {
        var disconnect: Duration = .seconds(Int64.max >> 1)
        if let disconnectedAt {
            disconnect = max(disconnectedAt, lastHeard) + settings.deadAfterDisconnect
        }
        switch target {
        case .alive: return lastHeard
        case .suspect: return min(disconnect, lastHeard + silence(reachingPhi: settings.suspectThreshold))
        case .dead: return min(disconnect, lastHeard + silence(reachingPhi: settings.deadThreshold))
        }
    }

    /// The silence after which φ reaches `threshold`, rounded up to the next microsecond.
    private func silence(reachingPhi threshold: Double) -> Duration {
        let bootstrap = seconds(settings.bootstrapTimeout)
        guard intervals.count >= 2 else {
            return duration(min(bootstrap, bootstrap * threshold / settings.suspectThreshold))
        }
        let count = Double(intervals.count)
        let mean = sum / count
        let deviation = max(max(0, squares / count - mean * mean).squareRoot(), seconds(settings.minimumDeviation))
        let expected = mean + seconds(settings.acceptablePause)
        // φ = log10(1 + exp(a·y + b·y³)) above the expected interval (y in deviations), so the
        // crossing solves the depressed cubic y³ + p·y + q = 0, which has one real root (p > 0).
        guard threshold > log10(2) else { return duration(expected) }
        let a = 1.5976, b = 0.070566
        let c = log(pow(10, threshold) - 1)
        let p = a / b, q = -c / b
        let root = (q * q / 4 + p * p * p / 27).squareRoot()
        let y = cbrt(-q / 2 + root) + cbrt(-q / 2 - root)
        return duration(expected + y * deviation)
    }

    private func duration(_ seconds: Double) -> Duration {
        guard seconds.isFinite, seconds < 1e9 else { return .seconds(Int64(1e9)) }
        return .microseconds(Int64((max(0, seconds) * 1e6).rounded(.up)) + 1)
    }

    package func status(at now: Duration) -> Status {
        if let disconnectedAt, now - disconnectedAt >= settings.deadAfterDisconnect, now - lastHeard >= settings.deadAfterDisconnect {
            return .dead
        }
        let phi = phi(at: now)
        if phi >= settings.deadThreshold { return .dead }
        if phi >= settings.suspectThreshold { return .suspect }
        return .alive
    }

    private func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) / 1e18
    }
}
