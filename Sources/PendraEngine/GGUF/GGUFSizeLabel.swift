import Foundation

/// gguf-py's `model_weight_count_rounded_notation`, so computed labels match the ones
/// `convert_hf_to_gguf.py` writes into `general.size_label`.
enum GGUFSizeLabel {
    static func rounded(_ count: UInt64, minimumDigits: Int = 2) -> String {
        if count == 0 { return "0" }
        let value = Double(count)
        let (scaled, suffix): (Double, String)
        if value > 1e12 { (scaled, suffix) = (value * 1e-12, "T") }
        else if value > 1e9 { (scaled, suffix) = (value * 1e-9, "B") }
        else if value > 1e6 { (scaled, suffix) = (value * 1e-6, "M") }
        else { (scaled, suffix) = (value * 1e-3, "K") }
        // Python: len(str(round(x)).lstrip('0')); round() is half-to-even there.
        let integerDigits = String(Int(scaled.rounded(.toNearestOrEven)))
        let significant = integerDigits.drop { $0 == "0" }.count
        let decimals = max(minimumDigits - significant, 0)
        return String(format: "%.\(decimals)f", scaled) + suffix
    }
}
