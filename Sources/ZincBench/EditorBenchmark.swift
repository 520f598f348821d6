import Foundation
import Synchronization
import Zinc

/// What a keystroke costs an editor on a ``TextBinding``, in a small and a large document:
/// local (the user types; the view shows it) and remote (another user types; this view shows
/// it), against reloading a snapshot per keystroke (what zinc-pad did before the binding).
/// The per-keystroke cost must not grow with the document.
package struct EditorBenchmark {
    package struct Options: Sendable {
        package var sizes = [1 << 10, 1 << 20]
        package var keystrokes = 2_000
        package init() {}
    }

    /// Microseconds per keystroke for one path at one document size.
    package struct Point: Codable, Sendable {
        package var documentBytes: Int
        package var keystrokes: Int
        package var medianMicroseconds: Double
        package var p99Microseconds: Double
    }

    package struct Result: Codable, Sendable {
        /// "local", "remote", "snapshotPerKeystroke" → one point per size.
        package var paths: [String: [Point]]
        /// Large-document median ÷ small-document median, per path.
        package var growth: [String: Double]
    }

    let options: Options
    package init(_ options: Options) { self.options = options }

    package func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Result {
        var paths: [String: [Point]] = [:]
        for size in options.sizes {
            let tree = try BenchTree(transport: "inproc")
            let host = try tree.node()
            let client = try tree.node(join: host)
            try await tree.waitForTree()
            let hostNotes = try await host.document("editor")
            let clientNotes = try await client.document("editor")
            let line = "The quick brown fox jumps over the lazy dog — ünïcödé 🌍.\n"
            let text = String(repeating: line, count: max(1, size / line.utf8.count))
            try await hostNotes.edit { try $0.insert(text, at: 0) }
            let count = text.unicodeScalars.count
            let local = try await clientNotes.textBinding()
            let remote = try await hostNotes.textBinding()
            let deadline = ContinuousClock.now + .seconds(60)
            while local.view.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            // Type in the middle: the rope's worst place, and nowhere near the end fast paths.
            try await local.select(TextSelection(caret: count / 2))
            try await remote.select(TextSelection(caret: count / 3))

            var samples: [Double] = []
            for index in 0..<options.keystrokes {
                let start = ContinuousClock.now
                try await local.type(index % 10 == 9 ? " " : "a")
                samples.append(Self.microseconds(ContinuousClock.now - start))
            }
            paths["local", default: []].append(Self.point(size: size, samples))
            progress("local   \(size) B: p50 \(fixed(percentile(samples, 0.5), digits: 1)) µs")

            samples = []
            for index in 0..<options.keystrokes {
                let target = local.view.version + 1
                let start = ContinuousClock.now
                try await remote.type(index % 10 == 9 ? " " : "b")
                while local.view.version < target { await Task.yield() }
                samples.append(Self.microseconds(ContinuousClock.now - start))
            }
            paths["remote", default: []].append(Self.point(size: size, samples))
            progress("remote  \(size) B: p50 \(fixed(percentile(samples, 0.5), digits: 1)) µs")

            samples = []
            for index in 0..<min(options.keystrokes, 200) {
                let start = ContinuousClock.now
                try await clientNotes.edit { try $0.insert(index % 10 == 9 ? " " : "c", at: count / 2) }
                let snapshot = try await clientNotes.snapshot()
                _ = snapshot.text()
                samples.append(Self.microseconds(ContinuousClock.now - start))
            }
            paths["snapshotPerKeystroke", default: []].append(Self.point(size: size, samples))
            progress("snapshot \(size) B: p50 \(fixed(percentile(samples, 0.5), digits: 1)) µs")
            await tree.shutdown()
        }
        var growth: [String: Double] = [:]
        for (path, points) in paths {
            guard let small = points.first, let large = points.last, small.medianMicroseconds > 0 else { continue }
            growth[path] = large.medianMicroseconds / small.medianMicroseconds
        }
        return Result(paths: paths, growth: growth)
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    static func point(size: Int, _ samples: [Double]) -> Point {
        Point(documentBytes: size, keystrokes: samples.count, medianMicroseconds: percentile(samples, 0.5), p99Microseconds: percentile(samples, 0.99))
    }
}
