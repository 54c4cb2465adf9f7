import TetherSMTP

/// The reply parser must never crash, and must give the same replies and the same error
/// whether the bytes arrive at once or cut into pieces, as TCP may deliver them.
///
/// The first input byte picks the piece size (1 to 16 bytes); the rest is the server's output.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSMTPReplyParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let first = input.first else {
        return 0
    }
    let stream = Array(input.dropFirst())
    let pieceSize = Int(first % 16) + 1
    let whole = parse([stream[...]])
    let pieces = stride(from: 0, to: stream.count, by: pieceSize).map {
        stream[$0..<min($0 + pieceSize, stream.count)]
    }
    let split = parse(pieces)
    require(whole == split, "whole: \(whole), in pieces of \(pieceSize): \(split)")
    for reply in whole.replies {
        require((200...599).contains(reply.code), "reply code \(reply.code)")
        require(reply.lines.count <= SMTPReplyParser.maximumLines, "\(reply.lines.count) lines")
    }
    return 0
}

private struct Parsed: Equatable, CustomStringConvertible {
    var replies: [SMTPReply] = []
    var failed = false

    var description: String { "\(replies.map(\.code)) failed=\(failed)" }
}

/// Feeds `pieces` in order, taking every complete reply after each; stops at the first error.
private func parse(_ pieces: [ArraySlice<UInt8>]) -> Parsed {
    var parser = SMTPReplyParser()
    var parsed = Parsed()
    for piece in pieces {
        parser.feed(piece)
        do {
            while let reply = try parser.nextReply() {
                parsed.replies.append(reply)
            }
        } catch {
            parsed.failed = true
            return parsed
        }
    }
    return parsed
}
