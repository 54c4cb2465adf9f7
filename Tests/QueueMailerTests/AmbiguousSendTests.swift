import Testing

@testable import QueueMailerCore
@testable import TetherSMTP

/// Found by the chaos soak (`make chaos`, the relay on STARTTLS behind a proxy that drops
/// connections): a TLS failure after the end of data counted as "relay unavailable", so the
/// request went back to the queue unrecorded and was delivered twice.
@Suite("A send that broke after the end of data")
struct AmbiguousSendTests {
    @Test(
        "Chaos: a connection lost after the end of data is unknown, whatever broke",
        arguments: [SMTPError.Code.tlsFailed, .connectionClosed, .timedOut])
    func unknownAfterEndOfData(code: SMTPError.Code) {
        let error = SMTPError(.ambiguous, code, phase: .endOfData, detail: "no final reply came")
        #expect(SMTPTransport.classify(error, latency: .seconds(1)).verdict == .ambiguous)
    }

    @Test("a TLS failure while making the session is still the relay's")
    func tlsFailureBeforeTheMessage() {
        let error = SMTPError(.notAccepted, .tlsFailed, phase: .tls, detail: "handshake failed")
        #expect(SMTPTransport.classify(error, latency: .zero).verdict == .relayUnavailable)
    }
}
