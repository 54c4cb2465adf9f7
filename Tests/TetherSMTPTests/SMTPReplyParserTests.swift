import Testing

@testable import TetherSMTP

@Suite("SMTPReplyParser")
struct SMTPReplyParserTests {
    static let ehlo =
        "250-mail.test greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-AUTH PLAIN LOGIN\r\n"
        + "250 ENHANCEDSTATUSCODES\r\n"

    @Test("S3: a multi-line EHLO reply split at every byte is complete only at its 250<SP> line")
    func splitAtEveryByte() throws {
        var parser = SMTPReplyParser()
        let bytes = Array(Self.ehlo.utf8)
        for (index, byte) in bytes.enumerated() {
            parser.feed([byte])
            let reply = try parser.nextReply()
            if index < bytes.count - 1 {
                #expect(reply == nil, "complete too early at byte \(index)")
            } else {
                let reply = try #require(reply)
                let capabilities = SMTPCapabilities(ehloReply: reply)
                #expect(reply.code == 250 && reply.lines.count == 5)
                #expect(capabilities.pipelining && capabilities.enhancedStatusCodes)
                #expect(capabilities.maximumSize == 1000)
                #expect(capabilities.authenticationMechanisms == ["PLAIN", "LOGIN"])
            }
        }
        #expect(!parser.hasBufferedBytes)
    }

    @Test("replies split at any two points parse the same", arguments: [1, 7, 13, 40])
    func splitAnywhere(first: Int) throws {
        let bytes = Array((Self.ehlo + "354 go ahead\r\n").utf8)
        for second in first..<bytes.count {
            var parser = SMTPReplyParser()
            var replies: [SMTPReply] = []
            for chunk in [bytes[..<first], bytes[first..<second], bytes[second...]] {
                parser.feed(chunk)
                while let reply = try parser.nextReply() { replies.append(reply) }
            }
            #expect(replies.map(\.code) == [250, 354])
        }
    }

    @Test("enhanced status codes and queue ids are read from the text")
    func enhancedCode() throws {
        var parser = SMTPReplyParser()
        parser.feed(Array("250 2.0.0 OK queued as T000042\r\n".utf8))
        let reply = try #require(try parser.nextReply())
        #expect(reply.enhancedCode?.description == "2.0.0")
        #expect(reply.text == "OK queued as T000042")
        #expect(reply.queueID == "T000042")
    }

    @Test("malformed lines are refused", arguments: ["25 short\r\n", "abc text\r\n", "250*x\r\n", "999 x\r\n"])
    func malformed(line: String) {
        var parser = SMTPReplyParser()
        parser.feed(Array(line.utf8))
        #expect(throws: SMTPError.self) { try parser.nextReply() }
    }

    @Test("a continuation that changes the code is refused")
    func changedCode() {
        var parser = SMTPReplyParser()
        parser.feed(Array("250-a\r\n251 b\r\n".utf8))
        let error = #expect(throws: SMTPError.self) { try parser.nextReply() }
        #expect(error?.code == .malformedReply)
    }

    @Test("an endless line without a newline is refused")
    func overlongLine() {
        var parser = SMTPReplyParser()
        parser.feed([UInt8](repeating: UInt8(ascii: "5"), count: SMTPReplyParser.maximumLineLength + 10))
        #expect(throws: SMTPError.self) { try parser.nextReply() }
    }

    /// A reply line of `length` bytes, CRLF included.
    static func replyLine(length: Int) -> [UInt8] {
        Array("250 ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: length - 6) + Array("\r\n".utf8)
    }

    @Test("the line limit holds however the line is split", arguments: [1, 100, 4096, 9000])
    func limitIndependentOfSplit(chunkSize: Int) throws {
        for (length, accepted) in [
            (SMTPReplyParser.maximumLineLength, true), (SMTPReplyParser.maximumLineLength + 1, false),
        ] {
            var parser = SMTPReplyParser()
            var outcome: Result<SMTPReply?, SMTPError> = .success(nil)
            let line = Self.replyLine(length: length)
            for start in stride(from: 0, to: line.count, by: chunkSize) {
                parser.feed(line[start..<min(start + chunkSize, line.count)])
                outcome = Result { () throws(SMTPError) in try parser.nextReply() }
                if case .failure = outcome { break }
            }
            switch outcome {
            case .success(let reply):
                #expect(accepted && reply?.code == 250, "length \(length), chunks of \(chunkSize)")
            case .failure(let error): #expect(!accepted && error.code == .malformedReply, "length \(length)")
            }
        }
    }
}
