internal import Handlers
internal import RESTBridge
internal import RPCServer

/// The web chat widget's public routes (docs/widget.md): the config endpoint that issues visitor
/// tokens, the embeddable script, its demo page, and the WebSocket. None takes an API key; the
/// widget id names the channel, the visitor token proves the visitor.
enum WidgetRoutes {
    /// The config endpoint's path.
    static let configPath = "/api/public/widget/config"

    /// Adds the HTTP routes.
    ///
    /// - Parameters:
    ///   - table: The raw route table.
    ///   - gateway: Serves the widget.
    static func register(in table: inout RawRouteTable, gateway: WidgetGateway) {
        table.add("GET", Self.configPath) { request in
            let pairs = (try? QueryString.pairs(in: request.target)) ?? []
            return await gateway.config(
                request, widgetID: pairs.first { $0.name == "widgetId" }?.value,
                presentedToken: pairs.first { $0.name == "visitorToken" }?.value)
        }
        // Any site listed in a channel's allowed origins calls it: the route checks the origin.
        table.checksOwnOrigin(Self.configPath)
        table.add("GET", "/widget.js") { _ in
            HTTPResponse(
                status: 200,
                headers: [
                    ("content-type", "text/javascript; charset=utf-8"), ("cache-control", "public, max-age=300"),
                    ("cross-origin-resource-policy", "cross-origin"),
                ],
                body: Array(WidgetAssets.script.utf8))
        }
        table.add("GET", "/widget/demo") { request in
            let pairs = (try? QueryString.pairs(in: request.target)) ?? []
            return HTTPResponse(
                status: 200,
                headers: [
                    ("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store"),
                    (
                        "content-security-policy",
                        "default-src 'none'; script-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'"
                    ),
                ],
                body: Array(WidgetAssets.demoPage(widgetID: pairs.first { $0.name == "widgetId" }?.value ?? "").utf8))
        }
    }

    /// Adds the WebSocket route `/api/widget/{widget_id}/ws`.
    static func register(in sockets: inout WebSocketRouteTable, gateway: WidgetGateway) {
        sockets.add(
            template: "/api/widget/{widget_id}/ws",
            admission: { request, values in await gateway.admit(request, widgetID: values[0]) },
            handler: { session, request, values in
                try await gateway.serve(session, request: request, widgetID: values[0])
            })
    }
}
