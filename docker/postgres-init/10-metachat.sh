#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory (the image's
# /docker-entrypoint-initdb.d), as the superuser POSTGRES_USER: creates the application role
# `metachat` (LOGIN, neither superuser nor BYPASSRLS, so row-level security holds for it), the
# database `metachat` it owns, and the pgvector extension in it, so the application never needs
# superuser rights (docs/decisions.md). Backups use the superuser (ops/backup/lib.sh).
set -euo pipefail
: "${METACHAT_DB_PASSWORD:?set METACHAT_DB_PASSWORD, the password of the application role}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=password="$METACHAT_DB_PASSWORD" <<'SQL'
CREATE ROLE metachat LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE metachat OWNER metachat;
\connect metachat
CREATE EXTENSION IF NOT EXISTS vector;
SQL
