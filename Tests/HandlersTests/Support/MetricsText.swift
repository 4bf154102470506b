/// Reads series out of the Prometheus text format.
enum MetricsText {
    /// The value of the series written exactly as `series` (name and labels as rendered), or
    /// `nil` when the text has no such line.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
