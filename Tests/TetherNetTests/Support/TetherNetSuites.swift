import Testing

/// Every TetherNet suite runs inside this one, one test at a time: the tests count sockets,
/// threads and milliseconds, and TLS handshakes of a neighbouring test would skew all three.
@Suite(.serialized)
enum TetherNetSuites {}

extension TetherNetSuites {
    /// How soon a cancelled operation must return in a test. Far below every deadline the
    /// tests set (seconds to a minute), so a wait that ignored cancellation still fails, yet
    /// loose enough for a 2-core machine running other suites at once; the milliseconds
    /// themselves are measured by `make bench-net`.
    static let promptly: Duration = .seconds(5)
}
