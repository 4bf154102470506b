-- 0007_documents: the knowledge base — documents, their chunks (pgvector embedding and
-- tsvector) and the durable ingestion jobs (docs/knowledge-base.md).
--
-- Every table carries tenant_id and is FORCE ROW LEVEL SECURITY like the conversation tables
-- (0006): a tenant transaction sees its own rows, the admin scope every row (the ingestion
-- workers claim jobs of every tenant in the admin scope, then work on a document in its
-- tenant's scope).

-- pgvector; the scripts create it as the superuser before migrating (the app role is not one),
-- so this only states the requirement.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE documents (
    tenant_id             uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid        NOT NULL DEFAULT gen_random_uuid(),
    title                 text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    filename              text        NOT NULL DEFAULT '' CHECK (length(filename) <= 255),
    content_type          text        NOT NULL,
    size_bytes            bigint      NOT NULL CHECK (size_bytes BETWEEN 0 AND 104857600),
    sha256                text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- The original bytes: a file under STORAGE_PATH (relative path).
    storage_key           text        NOT NULL,
    status                text        NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'PROCESSING', 'READY', 'FAILED')),
    chunk_count           integer     NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    page_count            integer     NOT NULL DEFAULT 0 CHECK (page_count >= 0),
    error_message         text        NOT NULL DEFAULT '',
    embedding_model       text        NOT NULL DEFAULT '',
    embedding_dimensions  integer     NOT NULL DEFAULT 0 CHECK (embedding_dimensions BETWEEN 0 AND 2000),
    ingest_progress       integer     NOT NULL DEFAULT 0 CHECK (ingest_progress BETWEEN 0 AND 100),
    ingest_attempts       integer     NOT NULL DEFAULT 0 CHECK (ingest_attempts >= 0),
    last_ingest_error     text        NOT NULL DEFAULT '',
    -- Bumped whenever the content is replaced or reindexing is asked for: a job finishing for
    -- an older generation writes nothing.
    generation            integer     NOT NULL DEFAULT 1 CHECK (generation >= 1),
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    indexed_at            timestamptz,
    PRIMARY KEY (tenant_id, id)
);

-- One document per content within a tenant (duplicate uploads answer the existing one).
CREATE UNIQUE INDEX documents_sha256_idx ON documents (tenant_id, sha256);
-- ListDocuments: newest first.
CREATE INDEX documents_created_idx ON documents (tenant_id, created_at DESC, id DESC);
-- Search's metadata filters.
CREATE INDEX documents_metadata_idx ON documents USING gin (metadata jsonb_path_ops);

CREATE TABLE document_chunks (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL DEFAULT gen_random_uuid(),
    document_id      uuid        NOT NULL,
    chunk_index      integer     NOT NULL CHECK (chunk_index >= 0),
    text             text        NOT NULL,
    token_count      integer     NOT NULL CHECK (token_count >= 0),
    -- Offsets in the document's extracted text, in Unicode scalar values.
    char_start       integer     NOT NULL CHECK (char_start >= 0),
    char_end         integer     NOT NULL,
    page             integer     NOT NULL DEFAULT 0 CHECK (page >= 0),
    -- Any dimension: the HNSW indexes below are partial, one per dimension, over a cast.
    embedding        vector,
    dimensions       integer     NOT NULL DEFAULT 0 CHECK (dimensions BETWEEN 0 AND 2000),
    embedding_model  text        NOT NULL DEFAULT '',
    -- to_tsvector(<the tenant's text search language>, text), computed on insert.
    search_vector    tsvector    NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, document_id, chunk_index),
    CONSTRAINT document_chunks_offsets_check CHECK (char_end >= char_start),
    CONSTRAINT document_chunks_embedding_check CHECK ((embedding IS NULL) = (dimensions = 0)),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE CASCADE
);

-- Cosine HNSW per dimension: 384 (the offline model), 768, 1024, 1536 (text-embedding-3-small).
-- A search casts the column to its dimension and repeats the predicate, so the planner can use
-- the matching index. Row-level security filters the index's candidates; hnsw.ef_search is raised
-- per search so a tenant's filtered results keep their recall (docs/knowledge-base.md).
CREATE INDEX document_chunks_hnsw_384 ON document_chunks
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dimensions = 384;
CREATE INDEX document_chunks_hnsw_768 ON document_chunks
    USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dimensions = 768;
CREATE INDEX document_chunks_hnsw_1024 ON document_chunks
    USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE dimensions = 1024;
CREATE INDEX document_chunks_hnsw_1536 ON document_chunks
    USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dimensions = 1536;
-- Full-text search reads a tenant's chunks along this index: `@@` is not leakproof, so under
-- row-level security PostgreSQL never evaluates it inside a GIN index scan (as for messages).
CREATE INDEX document_chunks_document_idx ON document_chunks (tenant_id, document_id, chunk_index);

-- Durable ingestion jobs: one row per (document, generation), claimed with FOR UPDATE SKIP
-- LOCKED by the workers of every serve process, woken by NOTIFY document_ingest.
CREATE TABLE ingest_jobs (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid        NOT NULL,
    document_id   uuid        NOT NULL,
    generation    integer     NOT NULL,
    status        text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'DONE', 'DEAD')),
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a PENDING job may run next (backoff after a failure).
    run_after     timestamptz NOT NULL DEFAULT now(),
    -- A RUNNING job whose lease ran out (its worker died) may be claimed again.
    lease_until   timestamptz,
    last_error    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, document_id, generation),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX ingest_jobs_pending_idx ON ingest_jobs (run_after) WHERE status = 'PENDING';
CREATE INDEX ingest_jobs_running_idx ON ingest_jobs (lease_until) WHERE status = 'RUNNING';

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_scope ON documents
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE document_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY document_chunks_scope ON document_chunks
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE ingest_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ingest_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY ingest_jobs_scope ON ingest_jobs
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
