#!/bin/sh
# `pnpm test`: lint, then the suite (files in parallel, vitest.config.ts), then
# the cluster scenarios (test/cluster: a 3-node NATS cluster in network
# namespaces, one file at a time, vitest.cluster.config.ts) in their own
# invocation, then the compose test (test/compose: the images built and
# docker-compose.yml up on a Docker engine, vitest.compose.config.ts). All
# three run even when one fails; the exit status is non-zero if any failed.
# Arguments (file filters, vitest flags) go to all three.
pnpm -s lint || exit 1
vitest run --passWithNoTests "$@"
suite=$?
vitest run --config vitest.cluster.config.ts --passWithNoTests "$@"
cluster=$?
vitest run --config vitest.compose.config.ts --passWithNoTests "$@"
compose=$?
[ "$suite" -eq 0 ] && [ "$cluster" -eq 0 ] && [ "$compose" -eq 0 ]
