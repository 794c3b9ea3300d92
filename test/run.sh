#!/bin/sh
# `pnpm test`: lint, then the suite (files in parallel, vitest.config.ts), then
# the cluster scenarios (test/cluster: a 3-node NATS cluster in network
# namespaces, one file at a time, vitest.cluster.config.ts) in their own
# invocation. Both run even when the first fails; the exit status is non-zero
# if either failed. Arguments (file filters, vitest flags) go to both.
pnpm -s lint || exit 1
vitest run --passWithNoTests "$@"
suite=$?
vitest run --config vitest.cluster.config.ts --passWithNoTests "$@"
cluster=$?
[ "$suite" -eq 0 ] && [ "$cluster" -eq 0 ]
