# PgPool-II for ops/docker-compose.ha.yml: Debian bookworm's pgpool2 (4.3, the version
# Tests/Ops/test_ha.py runs) with ops/ha's configuration and start script. The container runs
# ops/ha/start-pgpool.sh as the `postgres` user; its environment is described there.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends pgpool2 postgresql-client \
  && rm -rf /var/lib/apt/lists/*
COPY ops/ha/ /opt/metachat-ha/
RUN install -d -o postgres -g postgres -m 0700 /var/lib/pgpool
USER postgres
EXPOSE 5432
HEALTHCHECK --interval=5s --timeout=5s --retries=12 CMD ["pg_isready", "-h", "127.0.0.1", "-p", "5432"]
ENTRYPOINT ["/opt/metachat-ha/start-pgpool.sh"]
