internal import FoundationEssentials
internal import FuzzSupport
internal import Handlers
internal import RPCServer
internal import Storage

/// libFuzzer entry point: the small readers of text that arrives from outside in headers,
/// settings and the environment, none of which has a grammar library behind it.
///
/// The first byte picks the reader; the rest is the text:
/// - 0: `RetryAfterHeader.delay` (a webhook receiver's `retry-after`): a delay, when given, is
///   between zero and a day; plain digits give exactly their value, capped.
/// - 1: `WebhookSigningSecret(text:)` (`whsec_…`): a secret read keeps its text, has a key of 24 to
///   64 bytes and shows at most four characters.
/// - 2: `RabbitMQURL` (`RABBITMQ_URL`): a URL read has a host, a port from 1 to 65535, no NUL in
///   its credentials, and its description never shows the password.
/// - 3: `OutboundURL` (provider, webhook and Graph URLs): a URL read has a non-empty lower-case host
///   without `@`, a port from 1 to 65535 and a path that is empty or starts with `/`; a well-formed
///   host reads the same from a URL rebuilt of the parts.
/// - 4: `CronSchedule` (`RETENTION_CRON`): a schedule read reads again from its description to the
///   same schedule, and its next run after a time is later than that time and a whole minute.
/// - 5: `IPNetwork` (`OUTBOUND_ALLOW_CIDRS`, `TRUSTED_PROXIES`): a network read reads again from
///   its description to the same network and contains its own address; the egress policy answers
///   for it without failing.
/// - 6: `ModelPriceTable` (`LLM_PRICES`): a list read prices no token above the maximum, and a cost
///   is never negative, even for the largest token counts.
/// - 7: `GraphRateLimitHint` (the Graph API's `X-Business-Use-Case-Usage`, with and without a
///   `Retry-After` beside it): a wait, when given, is between zero and a day, and a `Retry-After`
///   that reads wins.
/// - 8: `UUID(canonicalText:)` (every id a client sends): it reads exactly the 36-byte canonical
///   form in either case, to the UUID Foundation reads from it, and prints back the same text in
///   lower case.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextValues(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let reader = input.byte() % 9
    let text = String(decoding: input.rest, as: UTF8.self)
    switch reader {
    case 0: checkRetryAfter(text)
    case 1: checkSigningSecret(text)
    case 2: checkRabbitMQURL(text)
    case 3: checkOutboundURL(text)
    case 4: checkCronSchedule(text)
    case 5: checkNetwork(text)
    case 6: checkPrices(text)
    case 7: checkGraphRateLimitHint(text)
    default: checkCanonicalUUID(text)
    }
    return 0
}

private func checkRetryAfter(_ text: String) {
    let now: Int64 = 1_765_000_000
    guard let delay = RetryAfterHeader.delay(text, nowSeconds: now) else { return }
    fuzzCheck(delay >= .zero && delay <= .seconds(RetryAfterHeader.maximumSeconds), "a delay outside 0...1 day")
    let digits = text.drop(while: { $0 == " " })
    if !digits.isEmpty, digits.utf8.count <= 10, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
        let value = Int64(digits)
    {
        fuzzCheck(delay == .seconds(min(value, RetryAfterHeader.maximumSeconds)), "delay-seconds read wrongly")
    }
}

private func checkCanonicalUUID(_ text: String) {
    let bytes = Array(text.utf8)
    let hex = Array("0123456789abcdefABCDEF".utf8)
    let canonical =
        bytes.count == 36
        && bytes.enumerated().allSatisfy { index, byte in
            [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : hex.contains(byte)
        }
    let parsed = UUID(canonicalText: text)
    fuzzCheck((parsed != nil) == canonical, "canonical form \(canonical) but parsed \(parsed != nil)")
    if let parsed {
        fuzzCheck(parsed == UUID(uuidString: text), "a different UUID than Foundation reads")
        fuzzCheck(parsed.lowercasedString == text.lowercased(), "printed back differently")
    }
}

private func checkGraphRateLimitHint(_ text: String) {
    let now: Int64 = 1_765_000_000
    if let wait = GraphRateLimitHint.delay(retryAfter: nil, businessUseCaseUsage: text, nowSeconds: now) {
        fuzzCheck(wait > .zero && wait <= GraphRateLimitHint.maximum, "a usage wait outside 0...1 day")
    }
    let both = GraphRateLimitHint.delay(retryAfter: "120", businessUseCaseUsage: text, nowSeconds: now)
    fuzzCheck(both == .seconds(120), "a readable Retry-After did not win")
}

private func checkSigningSecret(_ text: String) {
    guard let secret = WebhookSigningSecret(text: text) else { return }
    fuzzCheck(secret.text == text, "the secret's text changed")
    fuzzCheck(text.hasPrefix(WebhookSigningSecret.prefix), "a secret without the whsec_ prefix")
    fuzzCheck((24...64).contains(secret.key.count), "a key of \(secret.key.count) bytes")
    fuzzCheck(secret.lastFour.count <= 4, "more than four characters shown")
}

private func checkRabbitMQURL(_ text: String) {
    guard let url = RabbitMQURL(text) else { return }
    fuzzCheck(!url.host.isEmpty, "a URL without a host")
    fuzzCheck((1...65535).contains(url.port), "port \(url.port)")
    fuzzCheck(!url.username.contains("\0") && !url.password.contains("\0"), "a NUL in the credentials")
    let shown = url.description
    let password = url.password
    if password.utf8.count >= 4, !password.contains(":"), !password.contains("/"),
        ![url.host, url.virtualHost, String(url.port), "amqp"].contains(where: { $0.contains(password) })
    {
        fuzzCheck(!shown.contains(url.password), "the description shows the password")
    }
}

private func checkOutboundURL(_ text: String) {
    guard let url = OutboundURL(text) else { return }
    fuzzCheck(!url.host.isEmpty && !url.host.contains("@"), "a bad host \(url.host)")
    fuzzCheck(url.host == url.host.lowercased(), "a host not lower-cased")
    fuzzCheck((1...65535).contains(url.port), "port \(url.port)")
    fuzzCheck(url.path.isEmpty || url.path.hasPrefix("/"), "a path not starting with /")
    guard url.hasWellFormedHost else { return }
    let host = url.host.contains(":") ? "[\(url.host)]" : url.host
    let rebuilt = "\(url.isHTTPS ? "https" : "http")://\(host):\(url.port)\(url.path)"
    guard let again = OutboundURL(rebuilt) else {
        fuzzCheck(false, "\(rebuilt) does not read again")
        return
    }
    fuzzCheck(
        again.host == url.host && again.port == url.port && again.isHTTPS == url.isHTTPS && again.path == url.path,
        "\(rebuilt) reads to other parts")
}

private func checkCronSchedule(_ text: String) {
    guard let schedule = try? CronSchedule(text) else { return }
    guard let again = try? CronSchedule(schedule.description) else {
        fuzzCheck(false, "the description \(schedule.description) does not read again")
        return
    }
    fuzzCheck(again == schedule, "the description reads to another schedule")
    for time: Int64 in [0, 1_765_000_000, 1_765_000_059] {
        guard let next = schedule.next(after: time) else { continue }
        fuzzCheck(next > time, "the next run is not after \(time)")
        fuzzCheck(next % 60 == 0, "the next run is not a whole minute")
    }
}

private func checkNetwork(_ text: String) {
    guard let network = IPNetwork(text) else { return }
    guard let again = IPNetwork(network.description) else {
        fuzzCheck(false, "the description \(network.description) does not read again")
        return
    }
    fuzzCheck(again == network, "the description reads to another network")
    let base = network.description.split(separator: "/").first.map(String.init) ?? ""
    fuzzCheck(network.contains(base), "the network does not contain its own address")
    let policy = EgressPolicy(allowedNetworks: [network])
    if let address = ClientAddress(base) {
        fuzzCheck(policy.isAllowedNetwork(address), "an allowed network's own address is refused")
        _ = policy.refusal(for: address)
    }
}

private func checkPrices(_ text: String) {
    guard let table = try? ModelPriceTable(text) else { return }
    let maximum = Int64(ModelPriceTable.maximumDollarsPerMillion) * 1_000_000
    for entry in text.split(separator: ",") {
        let name = entry.split(separator: "=").first.map { String($0.drop(while: { $0 == " " })) } ?? ""
        let parts = name.split(separator: ":", maxSplits: 1)
        let (provider, model) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("openai", name)
        let plain = model.hasSuffix("*") ? String(model.dropLast()) : model
        guard let price = table.price(provider: provider, model: plain) else { continue }
        fuzzCheck(
            (0...maximum).contains(price.inputPicoUSDPerToken) && (0...maximum).contains(price.outputPicoUSDPerToken),
            "a price above the maximum")
        for tokens in [0, 1, 999_999, Int.max] {
            let cost = table.costNanoUSD(
                provider: provider, model: plain, promptTokens: tokens, completionTokens: tokens)
            fuzzCheck((cost ?? 0) >= 0, "a negative cost")
        }
    }
}
