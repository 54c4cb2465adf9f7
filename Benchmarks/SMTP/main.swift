import Foundation
import TetherSMTP

// Sends 20,000 messages of about 1 KB to Postfix's smtp-sink over one connection and over
// eight in parallel, alternating with Postfix's smtp-source (the peer) in the same run,
// and prints one JSON line per case.
//   .build/release/SMTPBenchmark <unpacked-postfix-dir> [messages]

lineBufferStandardOutput()

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: SMTPBenchmark <unpacked-postfix-dir> [messages]\n".utf8))
    exit(2)
}
let postfix = Postfix(root: arguments[1])
let messageCount = arguments.count > 2 ? Int(arguments[2]) ?? 20_000 : 20_000
let messageSize = 1024
let rounds = 3

let port = try freePort()
let sink = try postfix.startSink(port: port)
defer {
    kill(sink.processIdentifier, SIGKILL)
    sink.waitUntilExit()
}
try await waitUntilListening(port: port)

for connections in [1, 8] {
    var ours: [Double] = []
    var peer: [Double] = []
    for _ in 0..<rounds {
        let elapsed = try await sendOurs(
            port: port, messages: messageCount, connections: connections, size: messageSize)
        ours.append(Double(messageCount) / elapsed.seconds)
        let peerElapsed = try postfix.runSource(
            port: port, messages: messageCount, sessions: connections, size: messageSize)
        peer.append(Double(messageCount) / peerElapsed.seconds)
    }
    let best = (ours: ours.sorted()[rounds / 2], peer: peer.sorted()[rounds / 2])
    let line: [String: Any] = [
        "suite": "smtp", "case": "\(messageCount) messages of 1 KB, \(connections) connection(s)", "unit": "msg/s",
        "ours": Int(best.ours.rounded()), "peer": "smtp-source", "peer_value": Int(best.peer.rounded()),
        "ratio": (best.ours / best.peer * 100).rounded() / 100,
    ]
    let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
