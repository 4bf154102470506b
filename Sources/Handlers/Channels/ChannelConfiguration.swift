/// Where channels are reached from outside and where they reach Meta.
package struct ChannelConfiguration: Sendable, Equatable {
    /// `API_URL`: the server's public base URL, which callback URLs and the widget snippet start
    /// with. Default `http://localhost:3000`.
    package var publicBaseURL: String
    /// `META_GRAPH_BASE_URL`: the Graph API's base URL. Default `https://graph.facebook.com`.
    package var graphBaseURL: String
    /// `META_GRAPH_API_VERSION`: the Graph API version in request paths. Default `v21.0`.
    package var graphVersion: String

    /// The defaults.
    package static let defaults = ChannelConfiguration(
        publicBaseURL: "http://localhost:3000", graphBaseURL: "https://graph.facebook.com", graphVersion: "v21.0")

    /// A configuration.
    ///
    /// - Parameters:
    ///   - publicBaseURL: `API_URL`.
    ///   - graphBaseURL: `META_GRAPH_BASE_URL`.
    ///   - graphVersion: `META_GRAPH_API_VERSION`.
    package init(publicBaseURL: String, graphBaseURL: String, graphVersion: String) {
        self.publicBaseURL = publicBaseURL
        self.graphBaseURL = graphBaseURL
        self.graphVersion = graphVersion
    }
}
