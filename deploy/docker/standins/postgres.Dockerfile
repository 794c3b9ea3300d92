# Local stand-in for the official postgres:15 image where no image registry is
# reachable (deploy/docker/engine.sh standins builds it; the compose override
# deploy/docker/compose.local.yml selects it): Debian 12's PostgreSQL 15 on
# the local Debian base, with an entrypoint that does what compose relies on
# in the official one (postgres-entrypoint.sh). Build context: this folder.
ARG DEBIAN=ops-base/debian:bookworm
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install --yes --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data \
 && chown -R postgres:postgres /var/lib/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
