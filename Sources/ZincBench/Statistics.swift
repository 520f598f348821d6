/// Summary statistics for repeated measurements on a noisy machine: quote the median and
/// the range, never a single run.
package struct Summary: Sendable, Codable, Equatable {
    package let median: Double
    package let min: Double
    package let max: Double
    package let samples: Int

    package init(_ values: [Double]) {
        let sorted = values.sorted()
        samples = sorted.count
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        if sorted.isEmpty {
            median = 0
        } else if sorted.count % 2 == 1 {
            median = sorted[sorted.count / 2]
        } else {
            median = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }
}

/// The value at quantile `q` (0...1) of `values`, by nearest rank.
package func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank))]
}

/// Formats a rate in messages per second as "0.83 M/s" or "12.5 k/s".
package func formatRate(_ perSecond: Double) -> String {
    if perSecond >= 1_000_000 { return String(format2(perSecond / 1_000_000)) + " M/s" }
    if perSecond >= 1_000 { return String(format1(perSecond / 1_000)) + " k/s" }
    return String(format1(perSecond)) + " /s"
}

func format2(_ value: Double) -> String { fixed(value, digits: 2) }
func format1(_ value: Double) -> String { fixed(value, digits: 1) }

/// Fixed-point formatting without Foundation.
package func fixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard digits > 0 else { return "\(sign)\(whole)" }
    let fractionText = String(fraction)
    return "\(sign)\(whole)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
}

/// A plain-text table with aligned columns.
package struct TextTable {
    package var header: [String]
    package var rows: [[String]] = []

    package init(_ header: [String]) { self.header = header }

    package mutating func add(_ row: [String]) { rows.append(row) }

    package func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}
