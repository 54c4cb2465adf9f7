import Testing
import TetherTestKit

@Suite("SampleMessages")
struct SampleMessagesTests {
    @Test("a sample message renders close to the size asked for", arguments: [1_024, 10_240, 102_400])
    func sizeIsClose(size: Int) throws {
        let rendered = try SampleMessages.outgoing(size: size).content.count
        // Lines end in CRLF once rendered: up to 1/65 more than asked, plus a line of slack.
        #expect(abs(rendered - size) < 100 + size / 60, "asked for \(size) bytes, rendered \(rendered)")
    }

    @Test("a size below the headers still gives one line of body")
    func tinySizeHasABody() throws {
        let message = try SampleMessages.outgoing(size: 10)
        #expect(message.content.count > 64)
    }
}
