import SeqTestSupport
import XCTest
@testable import SeqEval
import SeqCore

final class PairFileReaderTests: XCTestCase {
    func testDetectsTheFourPublishedLayouts() throws {
        let expected: [(String, PairLayout, Int)] = [
            ("lfw_pairs.txt", .lfwOfficial, 6000),
            ("lfw_pairs_seqface.txt", .lfwSeqFace, 6000),
            ("ytf_splits.txt", .ytfOfficial, 5000),
            ("ytf_pairs_seqface.txt", .ytfSeqFace, 5000),
        ]
        for (name, layout, count) in expected {
            let list = try PairFileReader.read(try TestData.protocolFile(name))
            XCTAssertEqual(list.layout, layout, name)
            XCTAssertEqual(list.pairs.count, count, name)
            XCTAssertEqual(list.folds, Array(1...10), name)
            for fold in 1...10 {
                XCTAssertEqual(list.pairs.filter { $0.fold == fold }.count, count / 10, "\(name) fold \(fold)")
            }
        }
    }

    func testLFWOfficialKeysFoldsAndLabels() throws {
        let list = try PairFileReader.read(try TestData.protocolFile("lfw_pairs.txt"))
        XCTAssertEqual(list.pairs[0], FacePair(first: "Abel_Pacheco/Abel_Pacheco_0001.jpg",
                                               second: "Abel_Pacheco/Abel_Pacheco_0004.jpg", same: true, fold: 1, line: 2))
        // Each fold is 300 same-person pairs then 300 different-person pairs.
        XCTAssertEqual(list.pairs[300], FacePair(first: "Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg",
                                                 second: "Dean_Barker/Dean_Barker_0001.jpg", same: false, fold: 1, line: 302))
        XCTAssertEqual(list.pairs[600].fold, 2)
        XCTAssertTrue(list.pairs[600].same)
        XCTAssertEqual(list.pairs[5999].fold, 10)
        XCTAssertEqual(list.pairs.filter(\.same).count, 3000)
    }

    func testBothLFWLayoutsListTheSamePairsInTheSameFolds() throws {
        let official = try PairFileReader.read(try TestData.protocolFile("lfw_pairs.txt")).pairs
        let seqface = try PairFileReader.read(try TestData.protocolFile("lfw_pairs_seqface.txt")).pairs
        XCTAssertEqual(official.map(\.first), seqface.map(\.first))
        XCTAssertEqual(official.map(\.second), seqface.map(\.second))
        XCTAssertEqual(official.map(\.same), seqface.map(\.same))
        XCTAssertEqual(official.map(\.fold), seqface.map(\.fold))
    }

    func testBothYTFLayoutsListTheSamePairsInTheSameSplits() throws {
        let official = try PairFileReader.read(try TestData.protocolFile("ytf_splits.txt"))
        let seqface = try PairFileReader.read(try TestData.protocolFile("ytf_pairs_seqface.txt"))
        XCTAssertEqual(official.pairs[0], FacePair(first: "Sadie_Frost/1", second: "Sadie_Frost/5", same: true, fold: 1, line: 2))
        XCTAssertEqual(seqface.pairs[0].line, 1)
        XCTAssertEqual(official.pairs.map(\.first), seqface.pairs.map(\.first))
        XCTAssertEqual(official.pairs.map(\.second), seqface.pairs.map(\.second))
        XCTAssertEqual(official.pairs.map(\.same), seqface.pairs.map(\.same))
        XCTAssertEqual(official.pairs.map(\.fold), seqface.pairs.map(\.fold))
        XCTAssertEqual(official.pairs.filter(\.same).count, 2400)
        XCTAssertEqual(official.benchmark, .ytf)
    }

    func testSmallFilesInEachLayout() throws {
        let lfw = try PairFileReader.parse("1\t2\nA\t1\t2\nB\t3\t12\nA\t1\tB\t2\r\nC\t4\tD\t1\n", file: "p.txt")
        XCTAssertEqual(lfw.layout, .lfwOfficial)
        XCTAssertEqual(lfw.pairs.map(\.first), ["A/A_0001.jpg", "B/B_0003.jpg", "A/A_0001.jpg", "C/C_0004.jpg"])
        XCTAssertEqual(lfw.pairs.map(\.second), ["A/A_0002.jpg", "B/B_0012.jpg", "B/B_0002.jpg", "D/D_0001.jpg"])
        XCTAssertEqual(lfw.pairs.map(\.same), [true, true, false, false])

        // SeqFace's LFW list: ten consecutive blocks in file order.
        let lines = (0..<20).map { "x/\($0).jpg y/\($0).jpg \($0 % 2)" }.joined(separator: "\n")
        let seq = try PairFileReader.parse(lines + "\n\n", file: "s.txt")
        XCTAssertEqual(seq.layout, .lfwSeqFace)
        XCTAssertEqual(seq.pairs.map(\.fold), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10])

        let ytf = try PairFileReader.parse("3, 1, A/0, A/2, 1\n7, 2, B/1, C/0, 0\n", file: "y.csv")
        XCTAssertEqual(ytf.layout, .ytfOfficial)
        XCTAssertEqual(ytf.pairs.map(\.fold), [3, 7])
        let ytf2 = try PairFileReader.parse("3 1 ./A/0/ A/2 1\n", file: "y.txt")
        XCTAssertEqual(ytf2.layout, .ytfSeqFace)
        XCTAssertEqual(ytf2.pairs[0].first, "A/0")
    }

    func testUnknownLayoutNamesFileAndFirstOffendingLine() {
        // `#` lines are comments, so the first line judged is line 3.
        assertSeqError(try PairFileReader.parse("\n# my pairs\nA B C D E F\n", file: "odd.txt"),
                       contains: ["odd.txt:3:", "unknown pair-file layout", "A B C D E F"])
        assertSeqError(try PairFileReader.parse("a.jpg b.jpg 2\n", file: "odd.txt"),
                       contains: ["odd.txt:1:", "unknown pair-file layout"])
        assertSeqError(try PairFileReader.parse("\n \n", file: "empty.txt"), contains: ["empty.txt", "empty"])
    }

    func testMalformedLinesGiveFileAndLine() {
        assertSeqError(try PairFileReader.parse("1\t1\nA\t1\t2\nA\tone\tB\t2\n", file: "p.txt"),
                       contains: ["p.txt:3:", "LFW official", "A\tone\tB\t2"])
        assertSeqError(try PairFileReader.parse("A/a.jpg B/b.jpg 1\nC/c.jpg D/d.jpg\n", file: "s.txt"),
                       contains: ["s.txt:2:", "path1 path2 label"])
        assertSeqError(try PairFileReader.parse("split number, pair number, first name, second name, is same person\n1, 1, A/0, A/1, 1\n1, 2, A/0, B/1, yes\n", file: "y.csv"),
                       contains: ["y.csv:3:", "YTF official"])
        assertSeqError(try PairFileReader.parse("1 1 A/0 A/1 1\n1 x A/0 B/1 0\n", file: "y.txt"),
                       contains: ["y.txt:2:", "YTF SeqFace"])
    }

    func testLFWHeaderCountMustMatch() {
        assertSeqError(try PairFileReader.parse("2\t1\nA\t1\t2\nA\t1\tB\t2\n", file: "p.txt"),
                       contains: ["p.txt:1:", "promises 2 folds", "lists 2"])
    }

    /// C4: folds × perFold × 2 overflowed and trapped `eval`; now the header is named.
    func testLFWHeaderWithHugeNumbersIsAnErrorNotATrap() {
        assertSeqError(try PairFileReader.parse("99999999999\t99999999999\nA\t1\t2\n", file: "p.txt"),
                       contains: ["p.txt:1:", "promises 99999999999 folds", "more than", "lists 1"])
        assertSeqError(try PairFileReader.parse("\(Int.max)\nA\t1\t2\n", file: "p.txt"),
                       contains: ["p.txt:1:", "promises 1 folds", "lists 1"])
        // No overflow, but more pairs than lines: refused before anything is reserved.
        assertSeqError(try PairFileReader.parse("10\t300000000\nA\t1\t2\n", file: "p.txt"),
                       contains: ["p.txt:1:", "(6000000000)", "lists 1"])
        assertSeqError(try PairFileReader.parse("-1\t1\nA\t1\t2\n", file: "p.txt"),
                       contains: ["p.txt:1:", "positive fold count"])
    }

    func testAbsurdImageSplitAndPairNumbersAreNamed() {
        assertSeqError(try PairFileReader.parse("1\t1\nA\t1\t99999999999\nA\t1\tB\t2\n", file: "p.txt"),
                       contains: ["p.txt:2:", "image number 99999999999 is outside 1…9999"])
        assertSeqError(try PairFileReader.parse("1\t1\nA\t1\t2\nA\t0\tB\t2\n", file: "p.txt"),
                       contains: ["p.txt:3:", "image number 0"])
        assertSeqError(try PairFileReader.parse("1, 1, A/0, A/1, 1\n-3, 2, A/0, B/1, 0\n", file: "y.csv"),
                       contains: ["y.csv:2:", "split number -3 is outside 1…1000"])
        assertSeqError(try PairFileReader.parse("99999999999 1 A/0 A/1 1\n", file: "y.txt"),
                       contains: ["y.txt:1:", "split number 99999999999"])
        assertSeqError(try PairFileReader.parse("1 0 A/0 A/1 1\n", file: "y.txt"),
                       contains: ["y.txt:1:", "pair number 0 is not positive"])
        XCTAssertEqual(try PairFileReader.parse("1\t1\nA\t9999\t1\nA\t1\tB\t2\n", file: "p.txt").pairs[0].first, "A/A_9999.jpg")
    }

    /// The people `exclude` keeps out of training, from every published layout.
    func testPeopleOfAllPublishedLayouts() throws {
        let lfw = try PairFileReader.read(try TestData.protocolFile("lfw_pairs.txt"), expected: .lfw)
        XCTAssertEqual(lfw.layout, .lfwOfficial)
        XCTAssertEqual(lfw.pairs.count, 6000)
        XCTAssertEqual(lfw.people.first, "Abel_Pacheco")
        XCTAssertTrue(lfw.people.contains("George_W_Bush"))
        let lfwImages = try PairFileReader.read(try TestData.protocolFile("lfw_pairs_seqface.txt"), expected: .lfw)
        XCTAssertEqual(Set(lfwImages.people), Set(lfw.people))

        let ytf = try PairFileReader.read(try TestData.protocolFile("ytf_pairs_seqface.txt"), expected: .ytf)
        let splits = try PairFileReader.read(try TestData.protocolFile("ytf_splits.txt"), expected: .ytf)
        XCTAssertEqual(ytf.pairs.count, 5000)
        XCTAssertEqual(Set(splits.people), Set(ytf.people))
        XCTAssertTrue(ytf.people.contains("Sadie_Frost"))

        // The other benchmark's file is named as such.
        assertSeqError(try PairFileReader.read(try TestData.protocolFile("ytf_splits.txt"), expected: .lfw),
                       contains: ["ytf_splits.txt", "not LFW"])
        // pairsDevTrain.txt has a one-number header: that many same pairs, then as many different.
        let dev = try PairFileReader.parse("1\nAaron_Peirsol 1 2\nAJ_Cook 1 Marsha_Thomason 1\n", file: "dev.txt")
        XCTAssertEqual(dev.people, ["Aaron_Peirsol", "AJ_Cook", "Marsha_Thomason"])
    }

    /// The cases on which `exclude` and `eval` once disagreed now get one answer.
    func testCommentsLabelsAndPersonlessKeys() throws {
        // A `#` line in pairs.txt is a comment.
        let commented = try PairFileReader.parse("# my copy\n1 1\nAaron_Peirsol 1 2\nAJ_Cook 1 Marsha_Thomason 1\n", file: "c.txt")
        XCTAssertEqual(commented.pairs.count, 2)
        // A label other than 0 or 1 is an error, naming the line.
        assertSeqError(try PairFileReader.parse("A/A_0001.jpg A/A_0002.jpg 1\nA/A_0001.jpg B/B_0001.jpg 2\n", file: "l.txt"),
                       contains: ["l.txt:2:"])
        // A key that does not name its person cannot be kept out of training: refused.
        assertSeqError(try PairFileReader.parse("1 1 Sadie_Frost/1 Sadie_Frost/5 1\n1 2 clip2 clip3 1\n", file: "y.txt"),
                       contains: ["y.txt:2:", "clip2", "does not name its person"])
    }
}
