import CTetherSystem
import Glibc
import Synchronization
import TetherLocking

/// The server side of one connection a ``LoopbackListener`` accepted, with blocking calls.
///
/// ``close()`` shuts the socket down, which wakes a thread blocked in ``read(maximumCount:)``; the
/// descriptor itself is released when the last reference goes (or by ``reset()``), so a close
/// from another thread never frees a descriptor number a blocked call is still using.
public final class LoopbackConnection: Sendable {
    private enum State {
        case open
        case shut
        case released
    }

    /// The accepted socket.
    public let descriptor: Int32
    private let state = Locked(State.open)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        if state.withLock({ $0 }) != .released {
            Glibc.close(descriptor)
        }
    }

    /// Reads up to `maximumCount` bytes, blocking; empty at end of stream or after an error.
    public func read(maximumCount: Int = 65536) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximumCount)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, maximumCount, 0) }
        return count > 0 ? Array(buffer.prefix(count)) : []
    }

    /// Reads until `count` bytes arrived or the stream ended.
    public func read(exactly count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            let chunk = read(maximumCount: count - bytes.count)
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return bytes
    }

    /// Writes all of `bytes`, blocking; returns whether they all went out.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Sends FIN and stops reading: the peer sees end of stream. Safe from any thread.
    public func close() {
        state.withLock { state in
            guard state == .open else { return }
            shutdown(descriptor, Int32(SHUT_RDWR))
            state = .shut
        }
    }

    /// Resets the connection at once: the peer's next read or write fails with a reset.
    ///
    /// Call it from the thread that uses the connection: it releases the descriptor.
    public func reset() {
        state.withLock { state in
            guard state != .released else { return }
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            Glibc.close(descriptor)
            state = .released
        }
    }
}
