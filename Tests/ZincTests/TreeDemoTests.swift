import Foundation
import Testing

/// The tree-cluster demo, run for real: it must explain each stage and end converged.
@Suite("zinc-tree", .serialized, .timeLimit(.minutes(2)))
struct TreeDemoTests {
    @Test("the demo forms a tree, loses its root, promotes, heals, brings the old root back and converges, explaining each stage")
    func explainedRun() async throws {
        let binary = siblingBinary("zinc-tree", variable: "ZINC_TREE_BINARY")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("zinc-tree is not built at \(binary) (scripts/test builds it)")
            return
        }
        let run = try ZincProcess(
            ["--plain", "--nodes", "7", "--edits", "100", "--duration", "7", "--kill-host-after", "2", "--restart-after", "3",
             "--zinc", zincBinary()],
            executable: binary)
        let status = await run.wait(timeout: .seconds(90))
        let output = run.output
        #expect(status == 0, "\(output)")
        for stage in ["Forming the tree", "Editing", "The host is gone: suspicion", "Promotion", "Healing and repair",
                      "The old host comes back", "Converging", "Converged"] {
            #expect(output.contains("── \(stage) ──"), "stage \(stage) explained")
        }
        #expect(output.contains("lost edits        0 of"))
        #expect(output.contains("converged         yes"))
        // With 7 nodes the successor adopts its sibling beyond the fan-out of 2 and moves one down.
        #expect(output.contains("balance           every host within fan-out 2"), "\(output)")
        if output.contains("over its fan-out of 2") {
            #expect(output.contains("rebalanced") && output.contains("moved down, every host within fan-out 2"))
        }
    }
}
