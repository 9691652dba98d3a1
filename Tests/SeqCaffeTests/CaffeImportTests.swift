import Foundation
@testable import SeqCaffe
import SeqNN
import SeqTestSupport
import XCTest

final class CaffeImportTests: XCTestCase {
    func testSupportedTypesAreListed() {
        XCTAssertTrue(CaffeImporter.supportedTypes.contains("Convolution"))
    }
}
