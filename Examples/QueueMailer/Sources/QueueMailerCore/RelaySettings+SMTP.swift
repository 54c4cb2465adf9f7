import Foundation
import TetherNet
import TetherSMTP

extension RelaySettings {
    /// The TetherSMTP configuration these settings describe: the relay pool's target.
    public func smtpConfiguration() -> SMTPConfiguration {
        var configuration = SMTPConfiguration(host: host, port: port)
        var tlsConfiguration = TLSConfiguration()
        tlsConfiguration.trustRootsFile = caFile
        switch tls {
        case .required: configuration.tls = .required(tlsConfiguration)
        case .opportunistic: configuration.tls = .opportunistic(tlsConfiguration)
        case .none: configuration.tls = .none
        case .implicit: configuration.tls = .implicit(tlsConfiguration)
        }
        if let username {
            configuration.credentials = .plain(user: username, password: password?.value ?? "")
        }
        configuration.allowPlaintextAuthOnLoopback = allowPlaintextAuthOnLoopback
        configuration.heloName = heloName ?? Self.defaultHeloName
        var timeouts = SMTPTimeouts.all(commandTimeout)
        timeouts.connect = connectTimeout
        timeouts.greeting = connectTimeout
        timeouts.tlsHandshake = connectTimeout
        timeouts.endOfData = endOfDataTimeout
        timeouts.message = commandTimeout * 4 + endOfDataTimeout
        configuration.timeouts = timeouts
        configuration.maximumMessagesPerConnection = maxMessagesPerConnection
        return configuration
    }

    /// The EHLO name when none is configured: this host's name if it is a plain DNS name.
    static var defaultHeloName: String {
        let name = ProcessInfo.processInfo.hostName
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }
        return plain ? name : "localhost"
    }
}
