import type { NatsConnection } from '@nats-io/nats-core';
import { type Service, type ServiceMsg, Svcm } from '@nats-io/services';
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
import { createAdmission } from '@ops/nats';
import type { ReconcileDeps } from '../deps.ts';
import { reconcileWorkspace } from '../reconcile.ts';

/**
 * On-demand executions of different workspaces at once on one replica, and
 * how many more may wait for a slot (a script running every workspace at once
 * is served in turn); beyond both, a request is answered `unavailable`.
 */
const ON_DEMAND = { maxInFlight: 8, maxQueued: 64 } as const;

/**
 * ops.housekeeping.run as a micro service (`nats micro ls` shows
 * ops_housekeeping): the on-demand trigger behind `opsctl housekeeping run`.
 * The reply comes once the execution ended, so the run is in the ledger.
 * Bounded (issue #16): a replica runs at most one on-demand execution per
 * workspace — a request for a workspace it is reconciling, or about to, is
 * answered `active` at once (with the run, once known) — and at most
 * `ON_DEMAND` executions at once.
 */
export async function startHousekeepingApi(nc: NatsConnection, deps: ReconcileDeps): Promise<Service> {
  /** workspace → its on-demand execution, admitted or running (the run null until the ledger answered) */
  const inProgress = new Map<string, { runId: string | null }>();
  const admission = createAdmission(ON_DEMAND);
  const fail = (msg: ServiceMsg, raw: unknown) => {
    const body = errorReplyBody(isOpsError(raw) ? raw : new OpsError('internal', 'housekeeping failed'));
    msg.respondError(ERROR_STATUS[body.error.code], body.error.message, encodeJson(body));
  };

  const execute = async (msg: ServiceMsg, workspaceId: string, mine: { runId: string | null }): Promise<void> => {
    try {
      // on demand: a tick of its own, so only a running execution makes it stand down
      const result = await reconcileWorkspace(deps, workspaceId, `on-demand:${deps.now().toISOString()}`, (runId) => {
        mine.runId = runId;
      });
      const reply: HousekeepingRunReplyV1 = { ok: true, run_id: result.runId, disposition: result.disposition };
      msg.respond(encodeJson(reply));
    } catch (raw) {
      fail(msg, raw);
    } finally {
      inProgress.delete(workspaceId);
    }
  };

  const service = await new Svcm(nc).add({
    name: deps.names.services.housekeeping,
    version: '1.0.0',
    description: 'housekeeping: run ops.reconcile_adapter_runs for a workspace now',
  });
  service.addGroup(deps.names.housekeepingApiGroup).addEndpoint('run', {
    handler: (err, msg) => {
      if (err) return;
      try {
        const req = decodeRequest(housekeepingRunRequestV1, msg.data, 4096);
        const current = inProgress.get(req.workspace_id);
        if (current) {
          const reply: HousekeepingRunReplyV1 = { ok: true, run_id: current.runId, disposition: 'active' };
          msg.respond(encodeJson(reply));
          return;
        }
        const mine = { runId: null as string | null };
        inProgress.set(req.workspace_id, mine);
        if (!admission.offer(() => execute(msg, req.workspace_id, mine))) {
          inProgress.delete(req.workspace_id);
          throw new OpsError(
            'unavailable',
            'housekeeping is busy with on-demand executions; retry later (the schedule covers every workspace)',
          );
        }
      } catch (raw) {
        fail(msg, raw);
      }
    },
  });
  // reachable once this resolves: the server has the service's subscriptions
  await nc.flush();
  return service;
}
