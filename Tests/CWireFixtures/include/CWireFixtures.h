// CWireFixtures: a protobuf-c (C) encoder and decoder of metachat.v1 messages for the
// wire-compatibility tests in Tests/MetaChatAPITests. Swift sees only this header; the
// protoc-c structs under generated/ stay inside wire_fixtures.c.
//
// Each fixture is one message whose field values are written out in wire_fixtures.c. The Swift
// tests build the same message independently with the swift-protobuf types, so both sides can
// encode it and check what the other side encoded. Every function is thread-safe (no globals).
#ifndef CWIREFIXTURES_H
#define CWIREFIXTURES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A fixture message with fixed field values (see wire_fixtures.c for the values).
typedef enum CWireFixtures_Fixture {
    /// metachat.v1.Tenant: every TenantSettings sub-message, wrappers, a Duration, repeated
    /// strings, enums, a three-entry metadata map (keys in sorted order) and two Timestamps.
    CWireFixtures_FixtureTenant = 0,
    /// metachat.v1.Channel with the `whatsapp` case of oneof `config`, an enum and Timestamps.
    CWireFixtures_FixtureWhatsAppChannel = 1,
    /// metachat.v1.Channel with the `web_chat` oneof case set to an all-default WebChatConfig.
    CWireFixtures_FixtureEmptyWebChatChannel = 2,
    /// metachat.v1.ConversationEvent with the `escalated` case of oneof `payload`.
    CWireFixtures_FixtureEscalatedEvent = 3,
    /// metachat.v1.ConversationEvent with `message_created`: a Message with citations, enums,
    /// a two-entry metadata map (keys in sorted order) and a Timestamp.
    CWireFixtures_FixtureMessageCreatedEvent = 4,
    /// metachat.v1.Chunk with a 384-entry packed `repeated float embedding`.
    CWireFixtures_FixtureEmbeddedChunk = 5,
    /// metachat.v1.TenantUsage with packed `repeated int64 daily_message_counts`, negatives too.
    CWireFixtures_FixtureTenantUsage = 6,
    /// metachat.v1.WebhookEndpoint with packed `repeated WebhookEventType event_types` and a
    /// Timestamp before 1970 (negative seconds).
    CWireFixtures_FixtureWebhookEndpoint = 7,
    /// metachat.v1.UploadDocumentRequest whose `chunk` holds every byte value 0...255 once.
    CWireFixtures_FixtureUploadChunk = 8,
    /// metachat.v1.UploadDocumentRequest whose `chunk` oneof case is set to zero bytes.
    CWireFixtures_FixtureEmptyUploadChunk = 9,
    /// metachat.v1.UploadDocumentRequest with a 1.5 MiB `chunk`: byte i is (i * 131 + 7) % 251.
    CWireFixtures_FixtureLargeUploadChunk = 10,
    /// metachat.v1.CreateDocumentRequest with a 1.5 MiB UTF-8 `content`: the 64-byte line
    /// "Große Wissensbasis ✓ — a 64-byte line of the 1.5 MiB text.\n" repeated 24576 times.
    CWireFixtures_FixtureLargeDocument = 11,
} CWireFixtures_Fixture;

/// A message type the C side can decode, re-encode and inspect.
typedef enum CWireFixtures_MessageType {
    CWireFixtures_MessageTypeTenant = 0,
    CWireFixtures_MessageTypeGetTenantRequest = 1,
    CWireFixtures_MessageTypeChannel = 2,
    CWireFixtures_MessageTypeConversationEvent = 3,
    CWireFixtures_MessageTypeChunk = 4,
    CWireFixtures_MessageTypeTenantUsage = 5,
    CWireFixtures_MessageTypeWebhookEndpoint = 6,
    CWireFixtures_MessageTypeUploadDocumentRequest = 7,
    CWireFixtures_MessageTypeCreateDocumentRequest = 8,
} CWireFixtures_MessageType;

/// Encoded bytes owned by the caller; release them with CWireFixtures_freeBytes.
typedef struct CWireFixtures_Bytes {
    uint8_t *data;
    size_t length;
} CWireFixtures_Bytes;

/// One field protobuf-c kept in `base.unknown_fields` because the message type lacks it.
typedef struct CWireFixtures_UnknownField {
    /// The field number.
    uint32_t number;
    /// The wire type: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
    uint8_t wireType;
    /// Bytes after the tag, including the length prefix of a length-delimited field.
    size_t length;
} CWireFixtures_UnknownField;

/// Result codes of the functions below.
typedef enum CWireFixtures_Result {
    /// Success; for CWireFixtures_checkFixture, the decoded message equals the fixture.
    CWireFixtures_OK = 0,
    /// CWireFixtures_checkFixture only: the bytes decode but a field differs from the fixture.
    CWireFixtures_MISMATCH = 1,
    /// protobuf-c could not decode the bytes as the requested message type.
    CWireFixtures_UNDECODABLE = 2,
    /// malloc failed.
    CWireFixtures_OUT_OF_MEMORY = 3,
    /// An unknown fixture or message type value.
    CWireFixtures_INVALID_ARGUMENT = 4,
} CWireFixtures_Result;

/// Encodes `fixture` with protobuf_c_message_pack into a malloc'd buffer stored in `out`.
/// Returns CWireFixtures_OK, CWireFixtures_OUT_OF_MEMORY or CWireFixtures_INVALID_ARGUMENT.
CWireFixtures_Result CWireFixtures_encodeFixture(CWireFixtures_Fixture fixture, CWireFixtures_Bytes *out);

/// Decodes `data` as the fixture's message type and compares every field with the fixture
/// (maps ignore entry order; unknown fields are not compared). On CWireFixtures_MISMATCH,
/// `mismatch` (when not NULL) receives a NUL-terminated description of the first differing
/// field, e.g. "settings.llm.model: want \"a\", got \"b\"", truncated to `mismatchCapacity`.
CWireFixtures_Result CWireFixtures_checkFixture(
    CWireFixtures_Fixture fixture, const uint8_t *data, size_t length, char *mismatch, size_t mismatchCapacity);

/// Decodes `data` as `type` with protobuf_c_message_unpack and encodes the result again into
/// a malloc'd buffer stored in `out`; protobuf-c writes known fields first, then the unknown
/// fields it kept, in the order it read them.
CWireFixtures_Result CWireFixtures_repack(
    CWireFixtures_MessageType type, const uint8_t *data, size_t length, CWireFixtures_Bytes *out);

/// Decodes `data` as `type` and reports the unknown fields protobuf-c kept on the top-level
/// message: stores the count in `count` and the first `capacity` fields in `fields`.
CWireFixtures_Result CWireFixtures_unknownFields(
    CWireFixtures_MessageType type, const uint8_t *data, size_t length, CWireFixtures_UnknownField *fields,
    size_t capacity, size_t *count);

/// Frees a buffer from CWireFixtures_encodeFixture or CWireFixtures_repack and clears `bytes`.
void CWireFixtures_freeBytes(CWireFixtures_Bytes *bytes);

#ifdef __cplusplus
}
#endif

#endif
