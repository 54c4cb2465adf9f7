import Synchronization

extension ScriptedByteStream {
    /// Delivers `text` to the client as one chunk.
    public func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// Delivers `bytes` to the client as one chunk.
    public func send(_ bytes: [UInt8]) {
        let (reader, chunk) = state.withLock { state -> (CheckedContinuation<[UInt8], any Error>?, [UInt8]) in
            state.inbound.append(contentsOf: bytes)
            guard let reader = state.reader else { return (nil, []) }
            state.reader = nil
            let count = min(state.readerMaximum, state.inbound.count)
            defer { state.inbound.removeFirst(count) }
            return (reader, Array(state.inbound.prefix(count)))
        }
        reader?.resume(returning: chunk)
    }

    /// Closes the far end: the client's reads see end of stream, its writes fail.
    public func closeFromPeer() {
        let reader = state.withLock { state in
            state.peerClosed = true
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume(returning: [])
    }

    /// The next line the client wrote, without its CRLF; waits until it is complete.
    ///
    /// - Throws: ``Failure`` when the stream closes first.
    public func nextLine() async throws -> String {
        String(decoding: try await nextLineBytes(), as: UTF8.self)
    }

    /// The next line the client wrote as bytes, without its CRLF.
    public func nextLineBytes() async throws -> [UInt8] {
        while true {
            let line = state.withLock { state -> [UInt8]? in
                guard let end = state.written.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                let line = Array(state.written[..<end].dropLast(end > 0 && state.written[end - 1] == 0x0D ? 1 : 0))
                state.written.removeFirst(end + 1)
                return line
            }
            if let line { return line }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.closed || state.written.contains(UInt8(ascii: "\n")) { return true }
                    state.lineWaiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
            if state.withLock({ $0.closed && !$0.written.contains(UInt8(ascii: "\n")) }) {
                throw Failure(description: "the stream closed before a complete line")
            }
        }
    }

    /// The message content the client wrote after DATA, up to and without the `.` line,
    /// still dot-stuffed, with CRLF line endings.
    public func nextData() async throws -> [UInt8] {
        var content: [UInt8] = []
        while true {
            let line = try await nextLineBytes()
            if line == [UInt8(ascii: ".")] { return content }
            content.append(contentsOf: line + [0x0D, 0x0A])
        }
    }
}
