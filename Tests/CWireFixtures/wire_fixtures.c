// protobuf-c side of the wire-compatibility tests: the fixture messages, written out field by
// field with the protoc-c structs, and a descriptor-driven comparison of decoded messages
// against them. The Swift tests build the same fixtures with swift-protobuf; keep both in step
// (Tests/MetaChatAPITests/Test Utilities/WireFixtures.swift).
#include "CWireFixtures.h"

#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metachat/v1/admin.pb-c.h"
#include "metachat/v1/channels.pb-c.h"
#include "metachat/v1/common.pb-c.h"
#include "metachat/v1/conversations.pb-c.h"
#include "metachat/v1/documents.pb-c.h"
#include "metachat/v1/tenants.pb-c.h"
#include "metachat/v1/webhooks.pb-c.h"

static const char largeDocumentLine[] = "Große Wissensbasis ✓ — a 64-byte line of the 1.5 MiB text.\n";
_Static_assert(sizeof(largeDocumentLine) == 64 + 1, "the large document line must be 64 bytes");

enum {
    /// 1.5 MiB, the size of both large fixtures.
    LARGE_SIZE = 3 * 512 * 1024,
    LARGE_DOCUMENT_REPEATS = LARGE_SIZE / 64,
    EMBEDDING_DIMENSIONS = 384,
};

/// Receives a fully built fixture; its storage lives only for the duration of the call.
typedef int (*FixtureBody)(const ProtobufCMessage *fixture, void *context);

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

// MARK: - Fixtures

static int withTenant(FixtureBody body, void *context) {
    Google__Protobuf__DoubleValue temperature = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
    temperature.value = 0.7;
    Google__Protobuf__Duration requestTimeout = GOOGLE__PROTOBUF__DURATION__INIT;
    requestTimeout.seconds = 45;
    requestTimeout.nanos = 500000000;
    Metachat__V1__LlmSettings llm = METACHAT__V1__LLM_SETTINGS__INIT;
    llm.provider = METACHAT__V1__LLM_PROVIDER__LLM_PROVIDER_OPENAI_COMPATIBLE;
    llm.model = "llama3.1:8b";
    llm.base_url = "http://127.0.0.1:11434/v1";
    llm.temperature = &temperature;
    llm.max_tokens = 2048;
    llm.system_prompt = "Answer from the passages and cite them.";
    llm.api_key_last_four = "x9Qz";
    llm.request_timeout = &requestTimeout;

    Google__Protobuf__BoolValue ragEnabled = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
    ragEnabled.value = 0;
    Metachat__V1__EmbeddingSettings embedding = METACHAT__V1__EMBEDDING_SETTINGS__INIT;
    embedding.provider = METACHAT__V1__EMBEDDING_PROVIDER__EMBEDDING_PROVIDER_LOCAL;
    embedding.dimensions = 384;
    Metachat__V1__RagSettings rag = METACHAT__V1__RAG_SETTINGS__INIT;
    rag.enabled = &ragEnabled;
    rag.top_k = 8;
    rag.min_score = 0.35;
    rag.text_search_language = "german";
    rag.embedding = &embedding;

    char *keywords[] = {"human", "agent", "Mensch"};
    Metachat__V1__EscalationSettings escalation = METACHAT__V1__ESCALATION_SETTINGS__INIT;
    escalation.enabled = 1;
    escalation.n_keywords = COUNT(keywords);
    escalation.keywords = keywords;
    escalation.confidence_threshold = 0.4;
    escalation.handoff_message = "Einen Moment, ein Mensch übernimmt.";

    Metachat__V1__RetentionSettings retention = METACHAT__V1__RETENTION_SETTINGS__INIT;
    retention.message_retention_days = 30;
    retention.api_log_retention_days = 7;
    retention.archive_before_delete = 1;

    char *origins[] = {"https://acme.example", "https://shop.acme.example:8443"};
    Metachat__V1__WidgetSettings widget = METACHAT__V1__WIDGET_SETTINGS__INIT;
    widget.title = "Acme";
    widget.greeting = "Hi! 👋";
    widget.primary_color = "#2563EB";
    widget.n_allowed_origins = COUNT(origins);
    widget.allowed_origins = origins;

    Metachat__V1__RateLimitSettings rateLimit = METACHAT__V1__RATE_LIMIT_SETTINGS__INIT;
    rateLimit.requests_per_window = 1000;
    rateLimit.window_seconds = 60;

    Metachat__V1__TenantSettings settings = METACHAT__V1__TENANT_SETTINGS__INIT;
    settings.llm = &llm;
    settings.rag = &rag;
    settings.escalation = &escalation;
    settings.retention = &retention;
    settings.widget = &widget;
    settings.rate_limit = &rateLimit;

    // Keys in sorted order, as swift-protobuf writes them with useDeterministicOrdering.
    Metachat__V1__Tenant__MetadataEntry plan = METACHAT__V1__TENANT__METADATA_ENTRY__INIT;
    plan.key = "plan";
    plan.value = "enterprise";
    Metachat__V1__Tenant__MetadataEntry region = METACHAT__V1__TENANT__METADATA_ENTRY__INIT;
    region.key = "region";
    region.value = "eu-central-1";
    Metachat__V1__Tenant__MetadataEntry tier = METACHAT__V1__TENANT__METADATA_ENTRY__INIT;
    tier.key = "tier.level";
    tier.value = "3";
    Metachat__V1__Tenant__MetadataEntry *metadata[] = {&plan, &region, &tier};

    Google__Protobuf__Timestamp createdAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    createdAt.seconds = 1700000000;
    createdAt.nanos = 123456789;
    Google__Protobuf__Timestamp updatedAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    updatedAt.seconds = 1700003600;

    Metachat__V1__Tenant tenant = METACHAT__V1__TENANT__INIT;
    tenant.id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    tenant.name = "Acme Support — Zürich";
    tenant.enabled = 1;
    tenant.settings = &settings;
    tenant.n_metadata = COUNT(metadata);
    tenant.metadata = metadata;
    tenant.created_at = &createdAt;
    tenant.updated_at = &updatedAt;
    return body(&tenant.base, context);
}

static int withWhatsAppChannel(FixtureBody body, void *context) {
    Metachat__V1__WhatsAppConfig whatsapp = METACHAT__V1__WHATS_APP_CONFIG__INIT;
    whatsapp.phone_number_id = "106540352242922";
    whatsapp.business_account_id = "102290129340398";
    whatsapp.access_token_last_four = "ZDZD";
    whatsapp.app_secret_last_four = "9f3a";
    whatsapp.verify_token_last_four = "oken";

    Google__Protobuf__Timestamp createdAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    createdAt.seconds = 1710000000;
    createdAt.nanos = 5;
    Google__Protobuf__Timestamp updatedAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    updatedAt.seconds = 1710000000;
    updatedAt.nanos = 999999999;

    Metachat__V1__Channel channel = METACHAT__V1__CHANNEL__INIT;
    channel.id = "5d2c7e0a-8b1f-4f7e-9c33-0a1b2c3d4e5f";
    channel.tenant_id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    channel.type = METACHAT__V1__CHANNEL_TYPE__CHANNEL_TYPE_WHATSAPP;
    channel.name = "WhatsApp EU";
    channel.enabled = 1;
    channel.config_case = METACHAT__V1__CHANNEL__CONFIG_WHATSAPP;
    channel.whatsapp = &whatsapp;
    channel.callback_url = "https://chat.example.com/api/channels/5d2c7e0a-8b1f-4f7e-9c33-0a1b2c3d4e5f/callback";
    channel.created_at = &createdAt;
    channel.updated_at = &updatedAt;
    return body(&channel.base, context);
}

static int withEmptyWebChatChannel(FixtureBody body, void *context) {
    Metachat__V1__WebChatConfig webChat = METACHAT__V1__WEB_CHAT_CONFIG__INIT;
    Metachat__V1__Channel channel = METACHAT__V1__CHANNEL__INIT;
    channel.id = "c0ffee00-0000-4000-8000-000000000001";
    channel.type = METACHAT__V1__CHANNEL_TYPE__CHANNEL_TYPE_WEB_CHAT;
    channel.name = "Widget";
    channel.config_case = METACHAT__V1__CHANNEL__CONFIG_WEB_CHAT;
    channel.web_chat = &webChat;
    return body(&channel.base, context);
}

static int withEscalatedEvent(FixtureBody body, void *context) {
    Metachat__V1__ConversationEvent__Escalated escalated = METACHAT__V1__CONVERSATION_EVENT__ESCALATED__INIT;
    escalated.reason = METACHAT__V1__ESCALATION_REASON__ESCALATION_REASON_LOW_CONFIDENCE;
    escalated.message_id = "9a8b7c6d-0000-4000-8000-00000000abcd";
    escalated.confidence = 0.125;

    Google__Protobuf__Timestamp occurredAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    occurredAt.seconds = 1718000000;
    occurredAt.nanos = 250000000;

    Metachat__V1__ConversationEvent event = METACHAT__V1__CONVERSATION_EVENT__INIT;
    event.event_id = "1718000000000-0";
    event.tenant_id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    event.conversation_id = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918";
    event.occurred_at = &occurredAt;
    event.payload_case = METACHAT__V1__CONVERSATION_EVENT__PAYLOAD_ESCALATED;
    event.escalated = &escalated;
    return body(&event.base, context);
}

static int withMessageCreatedEvent(FixtureBody body, void *context) {
    Metachat__V1__Citation hours = METACHAT__V1__CITATION__INIT;
    hours.document_id = "d0c00000-0000-4000-8000-000000000001";
    hours.chunk_id = "c4c00000-0000-4000-8000-000000000007";
    hours.document_title = "Opening hours";
    hours.snippet = "We are open 9–17 CET, Monday to Friday.";
    hours.score = 0.875;
    Metachat__V1__Citation holidays = METACHAT__V1__CITATION__INIT;
    holidays.document_id = "d0c00000-0000-4000-8000-000000000002";
    holidays.chunk_id = "c4c00000-0000-4000-8000-000000000009";
    holidays.document_title = "Holidays";
    holidays.snippet = "Closed on public holidays.";
    holidays.score = 0.5;
    Metachat__V1__Citation *citations[] = {&hours, &holidays};

    Metachat__V1__Message__MetadataEntry channel = METACHAT__V1__MESSAGE__METADATA_ENTRY__INIT;
    channel.key = "channel";
    channel.value = "whatsapp";
    Metachat__V1__Message__MetadataEntry locale = METACHAT__V1__MESSAGE__METADATA_ENTRY__INIT;
    locale.key = "locale";
    locale.value = "de-AT";
    Metachat__V1__Message__MetadataEntry *metadata[] = {&channel, &locale};

    Google__Protobuf__Timestamp createdAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    createdAt.seconds = 1718000000;
    createdAt.nanos = 999000000;

    Metachat__V1__Message message = METACHAT__V1__MESSAGE__INIT;
    message.id = "3e3e3e3e-0000-4000-8000-000000000042";
    message.tenant_id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    message.conversation_id = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918";
    message.role = METACHAT__V1__MESSAGE_ROLE__MESSAGE_ROLE_ASSISTANT;
    message.text = "Our opening hours are 9–17 CET. [1]";
    message.n_citations = COUNT(citations);
    message.citations = citations;
    message.confidence = 0.91;
    message.external_message_id = "wamid.HBgLMzQ2NzA=";
    message.delivery_status = METACHAT__V1__MESSAGE_DELIVERY_STATUS__MESSAGE_DELIVERY_STATUS_DELIVERED;
    message.n_metadata = COUNT(metadata);
    message.metadata = metadata;
    message.created_at = &createdAt;

    Metachat__V1__ConversationEvent__MessageCreated created = METACHAT__V1__CONVERSATION_EVENT__MESSAGE_CREATED__INIT;
    created.message = &message;

    Google__Protobuf__Timestamp occurredAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    occurredAt.seconds = 1718000001;

    Metachat__V1__ConversationEvent event = METACHAT__V1__CONVERSATION_EVENT__INIT;
    event.event_id = "1718000000001-3";
    event.tenant_id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    event.conversation_id = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918";
    event.occurred_at = &occurredAt;
    event.payload_case = METACHAT__V1__CONVERSATION_EVENT__PAYLOAD_MESSAGE_CREATED;
    event.message_created = &created;
    return body(&event.base, context);
}

static int withEmbeddedChunk(FixtureBody body, void *context) {
    float embedding[EMBEDDING_DIMENSIONS];
    for (size_t i = 0; i < EMBEDDING_DIMENSIONS; i++) {
        embedding[i] = (float)((int)i - 192) / 128.0f;
    }
    // Values whose bits a lossy encoder would change.
    embedding[0] = -0.0f;
    embedding[1] = FLT_MAX;
    embedding[2] = 0x1p-149f;  // the smallest subnormal
    embedding[3] = -FLT_MIN;

    Google__Protobuf__Timestamp createdAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    createdAt.seconds = 1700000500;

    Metachat__V1__Chunk chunk = METACHAT__V1__CHUNK__INIT;
    chunk.id = "c4c00000-0000-4000-8000-000000000003";
    chunk.document_id = "d0c00000-0000-4000-8000-000000000001";
    chunk.index = 3;
    chunk.text = "Refunds are processed within 14 days.";
    chunk.token_count = 9;
    chunk.char_start = 1200;
    chunk.char_end = 1237;
    chunk.n_embedding = EMBEDDING_DIMENSIONS;
    chunk.embedding = embedding;
    chunk.dimensions = EMBEDDING_DIMENSIONS;
    chunk.embedding_model = "local-384";
    chunk.created_at = &createdAt;
    return body(&chunk.base, context);
}

static int withTenantUsage(FixtureBody body, void *context) {
    int64_t daily[] = {0, 1, 127, 128, 16384, INT64_C(1099511627776), -1, INT64_MAX, INT64_MIN};
    Metachat__V1__TenantUsage usage = METACHAT__V1__TENANT_USAGE__INIT;
    usage.tenant_id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    usage.tenant_name = "Acme";
    usage.message_count = INT64_C(123456789012);
    usage.conversation_count = 42;
    usage.prompt_tokens = INT64_C(9007199254740993);
    usage.completion_tokens = 1;
    usage.total_tokens = INT64_C(9007199254740994);
    usage.api_request_count = 77;
    usage.n_daily_message_counts = COUNT(daily);
    usage.daily_message_counts = daily;
    return body(&usage.base, context);
}

static int withWebhookEndpoint(FixtureBody body, void *context) {
    Metachat__V1__WebhookEventType eventTypes[] = {
        METACHAT__V1__WEBHOOK_EVENT_TYPE__WEBHOOK_EVENT_TYPE_CONVERSATION_CREATED,
        METACHAT__V1__WEBHOOK_EVENT_TYPE__WEBHOOK_EVENT_TYPE_MESSAGE_CREATED,
        METACHAT__V1__WEBHOOK_EVENT_TYPE__WEBHOOK_EVENT_TYPE_CONVERSATION_ESCALATED,
        METACHAT__V1__WEBHOOK_EVENT_TYPE__WEBHOOK_EVENT_TYPE_TEST,
    };
    // 0001-01-01T00:00:00Z, 9999-12-31T23:59:59.999999999Z and 1969-12-31T23:59:59.999999999Z.
    Google__Protobuf__Timestamp createdAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    createdAt.seconds = INT64_C(-62135596800);
    Google__Protobuf__Timestamp updatedAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    updatedAt.seconds = INT64_C(253402300799);
    updatedAt.nanos = 999999999;
    Google__Protobuf__Timestamp secretRotatedAt = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    secretRotatedAt.seconds = -1;
    secretRotatedAt.nanos = 999999999;

    Metachat__V1__WebhookEndpoint endpoint = METACHAT__V1__WEBHOOK_ENDPOINT__INIT;
    endpoint.id = "e0e0e0e0-0000-4000-8000-000000000005";
    endpoint.tenant_id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81";
    endpoint.url = "https://hooks.example.com/metachat";
    endpoint.n_event_types = COUNT(eventTypes);
    endpoint.event_types = eventTypes;
    endpoint.description = "CRM sync";
    endpoint.enabled = 1;
    endpoint.signing_secret_last_four = "a1b2";
    endpoint.created_at = &createdAt;
    endpoint.updated_at = &updatedAt;
    endpoint.secret_rotated_at = &secretRotatedAt;
    return body(&endpoint.base, context);
}

static int withUploadChunk(FixtureBody body, void *context) {
    uint8_t bytes[256];
    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)i;
    }
    Metachat__V1__UploadDocumentRequest request = METACHAT__V1__UPLOAD_DOCUMENT_REQUEST__INIT;
    request.part_case = METACHAT__V1__UPLOAD_DOCUMENT_REQUEST__PART_CHUNK;
    request.chunk.len = sizeof(bytes);
    request.chunk.data = bytes;
    return body(&request.base, context);
}

static int withEmptyUploadChunk(FixtureBody body, void *context) {
    Metachat__V1__UploadDocumentRequest request = METACHAT__V1__UPLOAD_DOCUMENT_REQUEST__INIT;
    request.part_case = METACHAT__V1__UPLOAD_DOCUMENT_REQUEST__PART_CHUNK;
    request.chunk.len = 0;
    request.chunk.data = NULL;
    return body(&request.base, context);
}

static int withLargeUploadChunk(FixtureBody body, void *context) {
    uint8_t *bytes = malloc(LARGE_SIZE);
    if (bytes == NULL) {
        return CWireFixtures_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < LARGE_SIZE; i++) {
        bytes[i] = (uint8_t)((i * 131 + 7) % 251);
    }
    Metachat__V1__UploadDocumentRequest request = METACHAT__V1__UPLOAD_DOCUMENT_REQUEST__INIT;
    request.part_case = METACHAT__V1__UPLOAD_DOCUMENT_REQUEST__PART_CHUNK;
    request.chunk.len = LARGE_SIZE;
    request.chunk.data = bytes;
    int result = body(&request.base, context);
    free(bytes);
    return result;
}

static int withLargeDocument(FixtureBody body, void *context) {
    const size_t lineLength = sizeof(largeDocumentLine) - 1;
    char *content = malloc(LARGE_SIZE + 1);
    if (content == NULL) {
        return CWireFixtures_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < LARGE_DOCUMENT_REPEATS; i++) {
        memcpy(content + i * lineLength, largeDocumentLine, lineLength);
    }
    content[LARGE_SIZE] = '\0';
    Metachat__V1__CreateDocumentRequest request = METACHAT__V1__CREATE_DOCUMENT_REQUEST__INIT;
    request.title = "Handbook";
    request.content = content;
    request.content_type = "text/markdown";
    int result = body(&request.base, context);
    free(content);
    return result;
}

static int withFixture(CWireFixtures_Fixture fixture, FixtureBody body, void *context) {
    switch (fixture) {
    case CWireFixtures_FixtureTenant:
        return withTenant(body, context);
    case CWireFixtures_FixtureWhatsAppChannel:
        return withWhatsAppChannel(body, context);
    case CWireFixtures_FixtureEmptyWebChatChannel:
        return withEmptyWebChatChannel(body, context);
    case CWireFixtures_FixtureEscalatedEvent:
        return withEscalatedEvent(body, context);
    case CWireFixtures_FixtureMessageCreatedEvent:
        return withMessageCreatedEvent(body, context);
    case CWireFixtures_FixtureEmbeddedChunk:
        return withEmbeddedChunk(body, context);
    case CWireFixtures_FixtureTenantUsage:
        return withTenantUsage(body, context);
    case CWireFixtures_FixtureWebhookEndpoint:
        return withWebhookEndpoint(body, context);
    case CWireFixtures_FixtureUploadChunk:
        return withUploadChunk(body, context);
    case CWireFixtures_FixtureEmptyUploadChunk:
        return withEmptyUploadChunk(body, context);
    case CWireFixtures_FixtureLargeUploadChunk:
        return withLargeUploadChunk(body, context);
    case CWireFixtures_FixtureLargeDocument:
        return withLargeDocument(body, context);
    }
    return CWireFixtures_INVALID_ARGUMENT;
}

static const ProtobufCMessageDescriptor *descriptorFor(CWireFixtures_MessageType type) {
    switch (type) {
    case CWireFixtures_MessageTypeTenant:
        return &metachat__v1__tenant__descriptor;
    case CWireFixtures_MessageTypeGetTenantRequest:
        return &metachat__v1__get_tenant_request__descriptor;
    case CWireFixtures_MessageTypeChannel:
        return &metachat__v1__channel__descriptor;
    case CWireFixtures_MessageTypeConversationEvent:
        return &metachat__v1__conversation_event__descriptor;
    case CWireFixtures_MessageTypeChunk:
        return &metachat__v1__chunk__descriptor;
    case CWireFixtures_MessageTypeTenantUsage:
        return &metachat__v1__tenant_usage__descriptor;
    case CWireFixtures_MessageTypeWebhookEndpoint:
        return &metachat__v1__webhook_endpoint__descriptor;
    case CWireFixtures_MessageTypeUploadDocumentRequest:
        return &metachat__v1__upload_document_request__descriptor;
    case CWireFixtures_MessageTypeCreateDocumentRequest:
        return &metachat__v1__create_document_request__descriptor;
    }
    return NULL;
}

// MARK: - Comparison driven by the protobuf-c descriptors

/// Where the first difference is described; `text` may be NULL to compare silently.
typedef struct Report {
    char *text;
    size_t capacity;
} Report;

__attribute__((format(printf, 3, 4))) static int differs(Report *report, const char *path, const char *format, ...) {
    if (report != NULL && report->text != NULL && report->capacity > 0) {
        int prefix = snprintf(report->text, report->capacity, "%s: ", path[0] != '\0' ? path : "(message)");
        if (prefix >= 0 && (size_t)prefix < report->capacity) {
            va_list arguments;
            va_start(arguments, format);
            vsnprintf(report->text + prefix, report->capacity - (size_t)prefix, format, arguments);
            va_end(arguments);
        }
    }
    return 0;
}

static int messagesEqual(const ProtobufCMessage *want, const ProtobufCMessage *got, const char *path, Report *report);

static size_t storageSize(ProtobufCType type) {
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/// Compares one value of `field` stored at `want` and `got` (a member, or an array element).
static int valuesEqual(
    const ProtobufCFieldDescriptor *field, const void *want, const void *got, const char *path, Report *report) {
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *wantText = *(char *const *)want;
        const char *gotText = *(char *const *)got;
        wantText = wantText != NULL ? wantText : "";
        gotText = gotText != NULL ? gotText : "";
        if (strcmp(wantText, gotText) == 0) {
            return 1;
        }
        return differs(
            report, path, "want \"%.40s\" (%zu bytes), got \"%.40s\" (%zu bytes)", wantText, strlen(wantText),
            gotText, strlen(gotText));
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *wantBytes = want;
        const ProtobufCBinaryData *gotBytes = got;
        size_t common = wantBytes->len < gotBytes->len ? wantBytes->len : gotBytes->len;
        size_t index = 0;
        while (index < common && wantBytes->data[index] == gotBytes->data[index]) {
            index++;
        }
        if (index == common && wantBytes->len == gotBytes->len) {
            return 1;
        }
        return differs(
            report, path, "want %zu bytes, got %zu bytes, first difference at byte %zu", wantBytes->len,
            gotBytes->len, index);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *wantMessage = *(ProtobufCMessage *const *)want;
        const ProtobufCMessage *gotMessage = *(ProtobufCMessage *const *)got;
        if (wantMessage == NULL || gotMessage == NULL) {
            if (wantMessage == gotMessage) {
                return 1;
            }
            return differs(
                report, path, "want %s, got %s", wantMessage != NULL ? "present" : "absent",
                gotMessage != NULL ? "present" : "absent");
        }
        return messagesEqual(wantMessage, gotMessage, path, report);
    }
    case PROTOBUF_C_TYPE_BOOL: {
        int wantFlag = *(const protobuf_c_boolean *)want != 0;
        int gotFlag = *(const protobuf_c_boolean *)got != 0;
        return wantFlag == gotFlag ? 1 : differs(report, path, "want %d, got %d", wantFlag, gotFlag);
    }
    default:
        break;
    }
    // Numbers: compare the bits, so -0.0 and 0.0 (or two NaNs) are told apart.
    if (memcmp(want, got, storageSize(field->type)) == 0) {
        return 1;
    }
    switch (field->type) {
    case PROTOBUF_C_TYPE_FLOAT:
        return differs(report, path, "want %.9g, got %.9g", *(const float *)want, *(const float *)got);
    case PROTOBUF_C_TYPE_DOUBLE:
        return differs(report, path, "want %.17g, got %.17g", *(const double *)want, *(const double *)got);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return differs(report, path, "want %" PRIu32 ", got %" PRIu32, *(const uint32_t *)want, *(const uint32_t *)got);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return differs(report, path, "want %" PRId64 ", got %" PRId64, *(const int64_t *)want, *(const int64_t *)got);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return differs(report, path, "want %" PRIu64 ", got %" PRIu64, *(const uint64_t *)want, *(const uint64_t *)got);
    default:
        return differs(report, path, "want %" PRId32 ", got %" PRId32, *(const int32_t *)want, *(const int32_t *)got);
    }
}

/// protoc-c turns `map<K, V>` into a repeated `…Entry` message with fields key = 1, value = 2.
static int isMapEntry(const ProtobufCMessageDescriptor *descriptor) {
    size_t nameLength = strlen(descriptor->short_name);
    return descriptor->n_fields == 2 && nameLength > 5 && strcmp(descriptor->short_name + nameLength - 5, "Entry") == 0
        && descriptor->fields[0].id == 1 && strcmp(descriptor->fields[0].name, "key") == 0
        && descriptor->fields[1].id == 2 && strcmp(descriptor->fields[1].name, "value") == 0;
}

/// Compares two maps regardless of entry order (swift-protobuf writes a Dictionary).
static int mapsEqual(
    const ProtobufCMessageDescriptor *entryDescriptor, ProtobufCMessage *const *want, size_t wantCount,
    ProtobufCMessage *const *got, size_t gotCount, const char *path, Report *report) {
    if (wantCount != gotCount) {
        return differs(report, path, "want %zu entries, got %zu", wantCount, gotCount);
    }
    const ProtobufCFieldDescriptor *keyField = &entryDescriptor->fields[0];
    const ProtobufCFieldDescriptor *valueField = &entryDescriptor->fields[1];
    for (size_t i = 0; i < wantCount; i++) {
        const char *wantEntry = (const char *)want[i];
        const char *match = NULL;
        for (size_t j = 0; j < gotCount && match == NULL; j++) {
            const char *gotEntry = (const char *)got[j];
            if (valuesEqual(keyField, wantEntry + keyField->offset, gotEntry + keyField->offset, path, NULL)) {
                match = gotEntry;
            }
        }
        char entryPath[512];
        if (keyField->type == PROTOBUF_C_TYPE_STRING) {
            snprintf(entryPath, sizeof(entryPath), "%s[\"%s\"]", path, *(char *const *)(wantEntry + keyField->offset));
        } else {
            snprintf(entryPath, sizeof(entryPath), "%s[entry %zu]", path, i);
        }
        if (match == NULL) {
            return differs(report, entryPath, "missing key");
        }
        if (!valuesEqual(valueField, wantEntry + valueField->offset, match + valueField->offset, entryPath, report)) {
            return 0;
        }
    }
    return 1;
}

/// Compares every field `descriptor` declares, following proto3 semantics (an unset scalar is
/// its zero value). Unknown fields are not compared.
static int messagesEqual(const ProtobufCMessage *want, const ProtobufCMessage *got, const char *path, Report *report) {
    const ProtobufCMessageDescriptor *descriptor = want->descriptor;
    if (got->descriptor != descriptor) {
        return differs(report, path, "want a %s, got a %s", descriptor->name, got->descriptor->name);
    }
    const char *wantBase = (const char *)want;
    const char *gotBase = (const char *)got;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        char fieldPath[512];
        snprintf(fieldPath, sizeof(fieldPath), "%s%s%s", path, path[0] != '\0' ? "." : "", field->name);
        const void *wantMember = wantBase + field->offset;
        const void *gotMember = gotBase + field->offset;

        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t wantCount = *(const size_t *)(wantBase + field->quantifier_offset);
            size_t gotCount = *(const size_t *)(gotBase + field->quantifier_offset);
            const char *wantArray = *(char *const *)wantMember;
            const char *gotArray = *(char *const *)gotMember;
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && isMapEntry(field->descriptor)) {
                if (!mapsEqual(
                        field->descriptor, (ProtobufCMessage *const *)wantArray, wantCount,
                        (ProtobufCMessage *const *)gotArray, gotCount, fieldPath, report)) {
                    return 0;
                }
                continue;
            }
            if (wantCount != gotCount) {
                return differs(report, fieldPath, "want %zu elements, got %zu", wantCount, gotCount);
            }
            size_t size = storageSize(field->type);
            for (size_t j = 0; j < wantCount; j++) {
                char elementPath[512];
                snprintf(elementPath, sizeof(elementPath), "%s[%zu]", fieldPath, j);
                if (!valuesEqual(field, wantArray + j * size, gotArray + j * size, elementPath, report)) {
                    return 0;
                }
            }
            continue;
        }
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
            uint32_t wantCase = *(const uint32_t *)(wantBase + field->quantifier_offset);
            uint32_t gotCase = *(const uint32_t *)(gotBase + field->quantifier_offset);
            if (wantCase != gotCase) {
                return differs(
                    report, fieldPath, "want oneof case field %" PRIu32 ", got field %" PRIu32, wantCase, gotCase);
            }
            if (wantCase != field->id) {
                continue;
            }
        } else if (
            field->label == PROTOBUF_C_LABEL_OPTIONAL && field->type != PROTOBUF_C_TYPE_STRING
            && field->type != PROTOBUF_C_TYPE_MESSAGE) {
            // Explicit presence: a `has_` flag beside the value.
            int wantHas = *(const protobuf_c_boolean *)(wantBase + field->quantifier_offset) != 0;
            int gotHas = *(const protobuf_c_boolean *)(gotBase + field->quantifier_offset) != 0;
            if (wantHas != gotHas) {
                return differs(report, fieldPath, "want %s, got %s", wantHas ? "set" : "unset", gotHas ? "set" : "unset");
            }
            if (!wantHas) {
                continue;
            }
        }
        if (!valuesEqual(field, wantMember, gotMember, fieldPath, report)) {
            return 0;
        }
    }
    return 1;
}

// MARK: - Public API

static int pack(const ProtobufCMessage *message, CWireFixtures_Bytes *out) {
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *data = malloc(size > 0 ? size : 1);
    if (data == NULL) {
        return CWireFixtures_OUT_OF_MEMORY;
    }
    out->length = protobuf_c_message_pack(message, data);
    out->data = data;
    return CWireFixtures_OK;
}

static int encodeBody(const ProtobufCMessage *fixture, void *context) {
    return pack(fixture, context);
}

CWireFixtures_Result CWireFixtures_encodeFixture(CWireFixtures_Fixture fixture, CWireFixtures_Bytes *out) {
    out->data = NULL;
    out->length = 0;
    return (CWireFixtures_Result)withFixture(fixture, encodeBody, out);
}

typedef struct CheckContext {
    const uint8_t *data;
    size_t length;
    Report report;
} CheckContext;

static int checkBody(const ProtobufCMessage *fixture, void *context) {
    CheckContext *check = context;
    ProtobufCMessage *decoded = protobuf_c_message_unpack(fixture->descriptor, NULL, check->length, check->data);
    if (decoded == NULL) {
        return CWireFixtures_UNDECODABLE;
    }
    int equal = messagesEqual(fixture, decoded, "", &check->report);
    protobuf_c_message_free_unpacked(decoded, NULL);
    return equal ? CWireFixtures_OK : CWireFixtures_MISMATCH;
}

CWireFixtures_Result CWireFixtures_checkFixture(
    CWireFixtures_Fixture fixture, const uint8_t *data, size_t length, char *mismatch, size_t mismatchCapacity) {
    if (mismatch != NULL && mismatchCapacity > 0) {
        mismatch[0] = '\0';
    }
    CheckContext check = {data, length, {mismatch, mismatchCapacity}};
    return (CWireFixtures_Result)withFixture(fixture, checkBody, &check);
}

CWireFixtures_Result CWireFixtures_repack(
    CWireFixtures_MessageType type, const uint8_t *data, size_t length, CWireFixtures_Bytes *out) {
    out->data = NULL;
    out->length = 0;
    const ProtobufCMessageDescriptor *descriptor = descriptorFor(type);
    if (descriptor == NULL) {
        return CWireFixtures_INVALID_ARGUMENT;
    }
    ProtobufCMessage *decoded = protobuf_c_message_unpack(descriptor, NULL, length, data);
    if (decoded == NULL) {
        return CWireFixtures_UNDECODABLE;
    }
    CWireFixtures_Result result = (CWireFixtures_Result)pack(decoded, out);
    protobuf_c_message_free_unpacked(decoded, NULL);
    return result;
}

CWireFixtures_Result CWireFixtures_unknownFields(
    CWireFixtures_MessageType type, const uint8_t *data, size_t length, CWireFixtures_UnknownField *fields,
    size_t capacity, size_t *count) {
    *count = 0;
    const ProtobufCMessageDescriptor *descriptor = descriptorFor(type);
    if (descriptor == NULL) {
        return CWireFixtures_INVALID_ARGUMENT;
    }
    ProtobufCMessage *decoded = protobuf_c_message_unpack(descriptor, NULL, length, data);
    if (decoded == NULL) {
        return CWireFixtures_UNDECODABLE;
    }
    *count = decoded->n_unknown_fields;
    for (size_t i = 0; i < decoded->n_unknown_fields && i < capacity; i++) {
        fields[i].number = decoded->unknown_fields[i].tag;
        fields[i].wireType = (uint8_t)decoded->unknown_fields[i].wire_type;
        fields[i].length = decoded->unknown_fields[i].len;
    }
    protobuf_c_message_free_unpacked(decoded, NULL);
    return CWireFixtures_OK;
}

void CWireFixtures_freeBytes(CWireFixtures_Bytes *bytes) {
    free(bytes->data);
    bytes->data = NULL;
    bytes->length = 0;
}
