# syntax=docker/dockerfile:1
# Madang in a container: built in one stage, run from a small Debian image as a
# non-root user. Cache mounts keep crates.io downloads and compiled dependencies
# between builds, so a change to Madang's code rebuilds only Madang.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p madang \
    && cp target/release/madang /usr/local/bin/madang

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/madang --create-home madang
COPY --from=build /usr/local/bin/madang /usr/local/bin/madang
USER madang
WORKDIR /var/lib/madang
ENV MADANG_PROFILE=prod \
    MADANG_LISTEN=0.0.0.0:8080 \
    MADANG_DATABASE_URL=sqlite:///var/lib/madang/data/madang.db
VOLUME ["/var/lib/madang/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["madang"]
CMD ["serve"]
