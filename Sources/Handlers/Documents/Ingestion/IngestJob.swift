internal import FoundationEssentials

/// A claimed ingestion job: one generation of one document.
struct IngestJob: Sendable, Equatable {
    /// The job row.
    var id: Int64
    /// The document's tenant.
    var tenantID: UUID
    /// The document.
    var documentID: UUID
    /// The content generation the job ingests.
    var generation: Int32
    /// Attempts made, this one included.
    var attempts: Int32
}
