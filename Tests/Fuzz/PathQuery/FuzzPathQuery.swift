internal import FuzzSupport
internal import RESTBridge

/// libFuzzer entry point: path templates, request paths, query strings and percent-decoding.
///
/// The input is three lines: a `google.api.http` path template, an HTTP method, and a request
/// target (path and query). Each input compiles the template and matches the target's path
/// against it, looks the method and path up in the echo fixture's route table (as the gateway
/// does), splits and decodes the query, and percent-decodes the path every way the bridge does.
/// Checked: a match binds exactly the template's variables, a route-table match is a template
/// that matches, and decoding text without escapes changes nothing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPathQuery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let templateText = input.text()
    let method = input.text()
    let target = String(decoding: input.rest, as: UTF8.self)
    let question = target.firstIndex(of: "?") ?? target.endIndex
    let path = target[..<question]
    let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)

    if let template = try? PathTemplate(templateText) {
        _ = template.openAPIPath
        _ = template.specificity
        if let values = template.match(segments) {
            fuzzCheck(
                values.count == template.variables.count,
                "bound \(values.count) of \(template.variables.count) variables")
            fuzzCheck(
                zip(values, template.variables).allSatisfy { $0.fieldPath == $1.fieldPath },
                "values bound out of order"
            )
        }
    }

    switch PathQueryFuzzing.table.lookup(method: method, path: path) {
    case .matched(let entry, let values):
        fuzzCheck(
            entry.template.match(segments) != nil, "route \(entry.route.pathTemplate) matched but its template does not"
        )
        fuzzCheck(values.count == entry.template.variables.count, "route bound the wrong number of variables")
    case .methodNotAllowed(let allowed):
        fuzzCheck(!allowed.isEmpty, "405 without allowed methods")
    case .notFound:
        break
    }

    if let pairs = try? QueryString.pairs(in: target) {
        fuzzCheck(pairs.allSatisfy { !$0.name.isEmpty }, "a query pair with an empty name")
    }

    let text = String(path)
    for (keepingSlashes, plusIsSpace) in [(false, false), (true, false), (false, true)] {
        let decoded = PercentDecoding.decode(text, keepingSlashes: keepingSlashes, plusIsSpace: plusIsSpace)
        if !text.utf8.contains(UInt8(ascii: "%")) && !(plusIsSpace && text.utf8.contains(UInt8(ascii: "+"))) {
            fuzzCheck(decoded == text, "decoding text without escapes changed it")
        }
    }
    return 0
}

/// What every input shares.
enum PathQueryFuzzing {
    /// The echo fixture's REST routes, compiled as the gateway compiles them.
    static let table: RESTRouteTable = {
        do {
            return try RESTRouteTable(routes: EchoStack.restRoutes, router: EchoStack.shared.router)
        } catch {
            preconditionFailure("The echo routes do not compile: \(error)")
        }
    }()
}
