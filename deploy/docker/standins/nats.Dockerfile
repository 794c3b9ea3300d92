# Local stand-in for the official nats:2.10.27-alpine image where no image
# registry is reachable (deploy/docker/engine.sh standins builds it; the
# compose override deploy/docker/compose.local.yml selects it). The project's
# nats-server (Debian trixie's 2.10.27 build, .ci/nats-server.sh) on the local
# Debian base, with wget for the compose file's health check. Build context: a
# folder holding the nats-server binary.
ARG DEBIAN=ops-base/debian:bookworm
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install --yes --no-install-recommends wget \
 && rm -rf /var/lib/apt/lists/*
COPY nats-server /usr/local/bin/nats-server
EXPOSE 4222 6222 8222
# as the official image: arguments starting with "-" are nats-server's
ENTRYPOINT ["nats-server"]
CMD ["--help"]
