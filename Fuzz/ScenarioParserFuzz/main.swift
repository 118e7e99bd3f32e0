import Foundation
import Scenarios

/// libFuzzer entry point: every input is a scenario document; it must parse or throw `ScenarioError`.
func fuzzScenarioParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        try ScenarioParser.validate(yaml: text, file: "fuzz.yaml")
    } catch let error as ScenarioError {
        precondition(error.file == "fuzz.yaml" && error.line >= 0, "bad error: \(error)")
    } catch {
        preconditionFailure("an untyped error: \(error)")
    }
    return 0
}

/// The entry point libFuzzer's own `main` calls, when the linker picks that one.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzScenarioParser(data, size) }

// SwiftPM links an executable's `main` to its module's entry point, so libFuzzer is started from here.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzScenarioParser(data, size) })
