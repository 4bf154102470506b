internal import MetaChatAPI
internal import RESTBridge

/// The REST routes of every MetaChat service; the gateway serves those whose handlers run.
enum MetaChatRESTRoutes {
    static var all: [RESTRoute] {
        Metachat_V1_SystemService.restRoutes + Metachat_V1_AdminService.restRoutes
            + Metachat_V1_SecurityService.restRoutes + Metachat_V1_TenantService.restRoutes
            + Metachat_V1_ConversationService.restRoutes + Metachat_V1_ChatService.restRoutes
            + Metachat_V1_ChannelService.restRoutes + Metachat_V1_DocumentService.restRoutes
            + Metachat_V1_WebhookService.restRoutes
    }
}
