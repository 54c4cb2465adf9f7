/// Command-line options of the benchmark.
struct BenchmarkOptions {
    var go: GoPeer?
    var count = 2_000_000
    var rounds = 3

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        while let flag = remaining.popFirst() {
            guard let value = remaining.popFirst() else {
                throw UsageError(message: "\(flag) needs a value")
            }
            switch flag {
            case "--go": go = GoPeer(executable: value)
            case "--count": count = try Self.positive(value, flag)
            case "--rounds": rounds = try Self.positive(value, flag)
            default: throw UsageError(message: "unknown option \(flag); use --go PATH, --count N, --rounds R")
            }
        }
    }

    private static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let value = Int(text), value > 0 else {
            throw UsageError(message: "\(flag) needs a positive integer, got '\(text)'")
        }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Rates per contender and case, reported as the median of the rounds.
struct Samples {
    private var rates: [String: [Double]] = [:]

    mutating func add(_ key: String, _ rate: Double) {
        rates[key, default: []].append(rate)
    }

    func median(_ key: String) -> Double {
        let sorted = (rates[key] ?? []).sorted()
        precondition(!sorted.isEmpty, "no samples for \(key)")
        return sorted[sorted.count / 2]
    }

    /// One JSON line in the suite's format.
    func line(case name: String, ours: String, peer: String, peerKey: String) -> String {
        let ourRate = median(ours)
        let peerRate = median(peerKey)
        let ratio = (ourRate / peerRate * 100).rounded() / 100
        return "{\"suite\":\"channels\",\"case\":\"\(name)\",\"unit\":\"msg/s\",\"ours\":\(Int(ourRate)),"
            + "\"peer\":\"\(peer)\",\"peer_value\":\(Int(peerRate)),\"ratio\":\(ratio)}"
    }
}
