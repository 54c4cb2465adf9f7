extension Duration {
    /// The duration as a floating-point number of seconds, for comparing jittered delays.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
