import ArgumentParser
import SeqMedia

/// The bound on image size shared by the commands that read images (detect, align,
/// import-identities, eval). A header can claim any size; without a bound, a tiny file could
/// make the reader allocate gigabytes and the process die mid-run.
struct ImageLimitOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Refuse images of more pixels than this (checked from the header, before decoding); such an image is reported as failed and the rest go on.",
        valueName: "pixels"))
    var maxPixels = ImageIO.defaultMaxPixels

    func validate() throws {
        guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be at least 1") }
    }
}
