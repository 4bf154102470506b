# syntax=docker/dockerfile:1
# The MetaChat API image: `metachat` built in release with the Swift runtime linked statically,
# on a slim Debian 12 runtime that has only the shared libraries the binary links (checked by
# Tests/Ops/test_packaging.py against the binary's ELF dependencies), running as a non-root user
# with `metachat healthcheck` as its health check.
#
#   docker compose -f docker/docker-compose.yml build api      (context: the repository root)

# --- build -------------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        pkg-config libnghttp2-dev libpq-dev libhiredis-dev libjemalloc-dev libssl-dev zlib1g-dev librabbitmq-dev \
        libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The release flags every release build of this project uses (scripts/lib/release-build.sh).
RUN swift build -c release -Xswiftc -cross-module-optimization --static-swift-stdlib --product metachat \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/metachat" /out/metachat

# --- runtime -----------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libnghttp2-14 libpq5 libhiredis0.14 libjemalloc2 libssl3 zlib1g librabbitmq4 libstdc++6 libgcc-s1 \
        ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 metachat \
    && useradd --system --uid 10001 --gid metachat --home-dir /app --shell /usr/sbin/nologin metachat \
    && install -d -o metachat -g metachat -m 0750 /app /app/storage
COPY --from=build /out/metachat /usr/local/bin/metachat
USER metachat:metachat
WORKDIR /app
# Inside the container the API listens on every interface; compose publishes it on 127.0.0.1.
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["metachat", "healthcheck"]
ENTRYPOINT ["metachat"]
CMD ["serve"]
