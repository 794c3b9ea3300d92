import type { NatsConnection } from '@nats-io/nats-core';
import { type Service, Svcm } from '@nats-io/services';
import {
  decodeRequest,
  ERROR_STATUS,
  encodeJson,
  errorReplyBody,
  type HousekeepingRunReplyV1,
  housekeepingRunRequestV1,
  isOpsError,
  OpsError,
} from '@ops/contracts';
import type { ReconcileDeps } from '../deps.ts';
import { reconcileWorkspace } from '../reconcile.ts';

/**
 * ops.housekeeping.run as a micro service (`nats micro ls` shows
 * ops_housekeeping): the on-demand trigger behind `opsctl housekeeping run`.
 * The reply comes once the execution ended, so the run is in the ledger.
 */
export async function startHousekeepingApi(nc: NatsConnection, deps: ReconcileDeps): Promise<Service> {
  const service = await new Svcm(nc).add({
    name: deps.names.services.housekeeping,
    version: '1.0.0',
    description: 'housekeeping: run ops.reconcile_adapter_runs for a workspace now',
  });
  service.addGroup(deps.names.housekeepingApiGroup).addEndpoint('run', {
    handler: (err, msg) => {
      if (err) return;
      void (async () => {
        try {
          const req = decodeRequest(housekeepingRunRequestV1, msg.data, 4096);
          // on demand: a tick of its own, so only a running execution makes it stand down
          const result = await reconcileWorkspace(deps, req.workspace_id, `on-demand:${deps.now().toISOString()}`);
          const reply: HousekeepingRunReplyV1 = { ok: true, run_id: result.runId, disposition: result.disposition };
          msg.respond(encodeJson(reply));
        } catch (raw) {
          const body = errorReplyBody(isOpsError(raw) ? raw : new OpsError('internal', 'housekeeping failed'));
          msg.respondError(ERROR_STATUS[body.error.code], body.error.message, encodeJson(body));
        }
      })();
    },
  });
  return service;
}
