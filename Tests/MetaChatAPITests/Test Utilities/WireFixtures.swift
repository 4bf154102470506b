import Foundation
import MetaChatAPI
import SwiftProtobuf

/// The fixture messages of `Tests/CWireFixtures/wire_fixtures.c`, built independently with the
/// swift-protobuf types: a test compares what one side decodes with what the other side wrote.
/// Keep every value here in step with the C file.
enum WireFixtures {
    /// The size of both large fixtures, 1.5 MiB: above the 1 MiB a single upload chunk may carry.
    static let largeSize = 3 * 512 * 1024

    /// Every TenantSettings sub-message, wrappers, a Duration, repeated strings, enums, a
    /// three-entry metadata map and two Timestamps.
    static let tenant = Metachat_V1_Tenant.with {
        $0.id = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.name = "Acme Support — Zürich"
        $0.enabled = true
        $0.settings.llm = .with {
            $0.provider = .openaiCompatible
            $0.model = "llama3.1:8b"
            $0.baseURL = "http://127.0.0.1:11434/v1"
            $0.temperature = Google_Protobuf_DoubleValue(0.7)
            $0.maxTokens = 2048
            $0.systemPrompt = "Answer from the passages and cite them."
            $0.apiKeyLastFour = "x9Qz"
            $0.requestTimeout = Google_Protobuf_Duration(seconds: 45, nanos: 500_000_000)
        }
        $0.settings.rag = .with {
            $0.enabled = Google_Protobuf_BoolValue(false)
            $0.topK = 8
            $0.minScore = 0.35
            $0.textSearchLanguage = "german"
            $0.embedding = .with {
                $0.provider = .local
                $0.dimensions = 384
            }
        }
        $0.settings.escalation = .with {
            $0.enabled = true
            $0.keywords = ["human", "agent", "Mensch"]
            $0.confidenceThreshold = 0.4
            $0.handoffMessage = "Einen Moment, ein Mensch übernimmt."
        }
        $0.settings.retention = .with {
            $0.messageRetentionDays = 30
            $0.apiLogRetentionDays = 7
            $0.archiveBeforeDelete = true
        }
        $0.settings.widget = .with {
            $0.title = "Acme"
            $0.greeting = "Hi! 👋"
            $0.primaryColor = "#2563EB"
            $0.allowedOrigins = ["https://acme.example", "https://shop.acme.example:8443"]
        }
        $0.settings.rateLimit = .with {
            $0.requestsPerWindow = 1000
            $0.windowSeconds = 60
        }
        $0.metadata = ["plan": "enterprise", "region": "eu-central-1", "tier.level": "3"]
        $0.createdAt = Google_Protobuf_Timestamp(seconds: 1_700_000_000, nanos: 123_456_789)
        $0.updatedAt = Google_Protobuf_Timestamp(seconds: 1_700_003_600, nanos: 0)
    }

    /// The `whatsapp` case of oneof `config`, an enum and two Timestamps.
    static let whatsAppChannel = Metachat_V1_Channel.with {
        $0.id = "5d2c7e0a-8b1f-4f7e-9c33-0a1b2c3d4e5f"
        $0.tenantID = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.type = .whatsapp
        $0.name = "WhatsApp EU"
        $0.enabled = true
        $0.config = .whatsapp(
            .with {
                $0.phoneNumberID = "106540352242922"
                $0.businessAccountID = "102290129340398"
                $0.accessTokenLastFour = "ZDZD"
                $0.appSecretLastFour = "9f3a"
                $0.verifyTokenLastFour = "oken"
            }
        )
        $0.callbackURL = "https://chat.example.com/api/channels/5d2c7e0a-8b1f-4f7e-9c33-0a1b2c3d4e5f/callback"
        $0.createdAt = Google_Protobuf_Timestamp(seconds: 1_710_000_000, nanos: 5)
        $0.updatedAt = Google_Protobuf_Timestamp(seconds: 1_710_000_000, nanos: 999_999_999)
    }

    /// The `web_chat` case of oneof `config` set to a WebChatConfig whose fields are all default.
    static let emptyWebChatChannel = Metachat_V1_Channel.with {
        $0.id = "c0ffee00-0000-4000-8000-000000000001"
        $0.type = .webChat
        $0.name = "Widget"
        $0.config = .webChat(Metachat_V1_WebChatConfig())
    }

    /// The `escalated` case of oneof `payload`.
    static let escalatedEvent = Metachat_V1_ConversationEvent.with {
        $0.eventID = "1718000000000-0"
        $0.tenantID = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.conversationID = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918"
        $0.occurredAt = Google_Protobuf_Timestamp(seconds: 1_718_000_000, nanos: 250_000_000)
        $0.payload = .escalated(
            .with {
                $0.reason = .lowConfidence
                $0.messageID = "9a8b7c6d-0000-4000-8000-00000000abcd"
                $0.confidence = 0.125
            }
        )
    }

    /// The `message_created` case of oneof `payload`: a Message with citations, enums, a
    /// two-entry metadata map and a Timestamp.
    static let messageCreatedEvent = Metachat_V1_ConversationEvent.with {
        $0.eventID = "1718000000001-3"
        $0.tenantID = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.conversationID = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918"
        $0.occurredAt = Google_Protobuf_Timestamp(seconds: 1_718_000_001, nanos: 0)
        $0.payload = .messageCreated(.with { $0.message = message })
    }

    /// The Message inside ``messageCreatedEvent``.
    private static let message = Metachat_V1_Message.with {
        $0.id = "3e3e3e3e-0000-4000-8000-000000000042"
        $0.tenantID = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.conversationID = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918"
        $0.role = .assistant
        $0.text = "Our opening hours are 9–17 CET. [1]"
        $0.citations = [
            .with {
                $0.documentID = "d0c00000-0000-4000-8000-000000000001"
                $0.chunkID = "c4c00000-0000-4000-8000-000000000007"
                $0.documentTitle = "Opening hours"
                $0.snippet = "We are open 9–17 CET, Monday to Friday."
                $0.score = 0.875
            },
            .with {
                $0.documentID = "d0c00000-0000-4000-8000-000000000002"
                $0.chunkID = "c4c00000-0000-4000-8000-000000000009"
                $0.documentTitle = "Holidays"
                $0.snippet = "Closed on public holidays."
                $0.score = 0.5
            },
        ]
        $0.confidence = 0.91
        $0.externalMessageID = "wamid.HBgLMzQ2NzA="
        $0.deliveryStatus = .delivered
        $0.metadata = ["channel": "whatsapp", "locale": "de-AT"]
        $0.createdAt = Google_Protobuf_Timestamp(seconds: 1_718_000_000, nanos: 999_000_000)
    }

    /// A 384-entry packed `repeated float embedding`, starting with values whose bits a lossy
    /// encoder would change: -0.0, the largest finite float, the smallest subnormal and the
    /// negated smallest normal.
    static let embeddedChunk = Metachat_V1_Chunk.with {
        var embedding = (0..<384).map { Float($0 - 192) / 128 }
        embedding[0] = -0.0
        embedding[1] = .greatestFiniteMagnitude
        embedding[2] = .leastNonzeroMagnitude
        embedding[3] = -.leastNormalMagnitude
        $0.id = "c4c00000-0000-4000-8000-000000000003"
        $0.documentID = "d0c00000-0000-4000-8000-000000000001"
        $0.index = 3
        $0.text = "Refunds are processed within 14 days."
        $0.tokenCount = 9
        $0.charStart = 1200
        $0.charEnd = 1237
        $0.embedding = embedding
        $0.dimensions = 384
        $0.embeddingModel = "local-384"
        $0.createdAt = Google_Protobuf_Timestamp(seconds: 1_700_000_500, nanos: 0)
    }

    /// A packed `repeated int64 daily_message_counts` covering varint length boundaries and
    /// negative values (ten-byte varints), and int64 fields beyond 2^53.
    static let tenantUsage = Metachat_V1_TenantUsage.with {
        $0.tenantID = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.tenantName = "Acme"
        $0.messageCount = 123_456_789_012
        $0.conversationCount = 42
        $0.promptTokens = 9_007_199_254_740_993
        $0.completionTokens = 1
        $0.totalTokens = 9_007_199_254_740_994
        $0.apiRequestCount = 77
        $0.dailyMessageCounts = [0, 1, 127, 128, 16384, 1 << 40, -1, .max, .min]
    }

    /// A packed `repeated WebhookEventType event_types` and the earliest and latest valid
    /// Timestamps plus one just before 1970 (negative seconds).
    static let webhookEndpoint = Metachat_V1_WebhookEndpoint.with {
        $0.id = "e0e0e0e0-0000-4000-8000-000000000005"
        $0.tenantID = "0b8f5a52-3f0e-4c1d-9a57-2d4c5e6f7a81"
        $0.url = "https://hooks.example.com/metachat"
        $0.eventTypes = [.conversationCreated, .messageCreated, .conversationEscalated, .test]
        $0.description_p = "CRM sync"
        $0.enabled = true
        $0.signingSecretLastFour = "a1b2"
        $0.createdAt = Google_Protobuf_Timestamp(seconds: -62_135_596_800, nanos: 0)
        $0.updatedAt = Google_Protobuf_Timestamp(seconds: 253_402_300_799, nanos: 999_999_999)
        $0.secretRotatedAt = Google_Protobuf_Timestamp(seconds: -1, nanos: 999_999_999)
    }

    /// A `bytes chunk` holding every byte value 0...255 once.
    static let uploadChunk = Metachat_V1_UploadDocumentRequest.with {
        $0.chunk = Data((0...255).map { UInt8($0) })
    }

    /// The `chunk` case of oneof `part` set to zero bytes.
    static let emptyUploadChunk = Metachat_V1_UploadDocumentRequest.with {
        $0.chunk = Data()
    }

    /// A 1.5 MiB `bytes chunk`: byte i is (i * 131 + 7) % 251.
    static let largeUploadChunk = Metachat_V1_UploadDocumentRequest.with {
        $0.chunk = Data((0..<largeSize).map { UInt8(($0 * 131 + 7) % 251) })
    }

    /// A 1.5 MiB UTF-8 `content`: one 64-byte line repeated.
    static let largeDocument = Metachat_V1_CreateDocumentRequest.with {
        let line = "Große Wissensbasis ✓ — a 64-byte line of the 1.5 MiB text.\n"
        $0.title = "Handbook"
        $0.content = String(repeating: line, count: largeSize / line.utf8.count)
        $0.contentType = "text/markdown"
    }
}
