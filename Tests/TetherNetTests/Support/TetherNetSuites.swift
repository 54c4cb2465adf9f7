import Testing

/// Every TetherNet suite runs inside this one, one test at a time: the tests count sockets,
/// threads and milliseconds, and TLS handshakes of a neighbouring test would skew all three.
@Suite(.serialized)
enum TetherNetSuites {}
