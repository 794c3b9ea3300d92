import type { Service } from '@nats-io/services';
import type { LedgerAdminEndpoint } from '@ops/contracts';
import { cancelRun } from '../admin/cancel.ts';
import { purgeDeadLetter, redriveDeadLetter } from '../admin/dead-letters.ts';
import type { AdminDeps } from '../admin/deps.ts';
import { releaseLock } from '../admin/release-lock.ts';
import { rerunRun } from '../admin/rerun.ts';
import { respond } from './api.ts';

/**
 * ops.ledger.admin.* — the operator actions (issue #21), a second endpoint
 * group of the ledger's micro service. The subject group is the boundary:
 * only the operator NATS user may publish on it (deploy/nats/permissions.ts).
 * No admission queue: actions are rare, and each is bounded (a release
 * watches a lease for the stale time at most).
 */
export function addLedgerAdmin(service: Service, deps: AdminDeps): void {
  const group = service.addGroup(deps.names.ledgerAdminGroup);
  const endpoints: Record<LedgerAdminEndpoint, (data: Uint8Array) => Promise<unknown>> = {
    cancel_run: (data) => cancelRun(deps, data),
    rerun_run: (data) => rerunRun(deps, data),
    redrive_dead_letter: (data) => redriveDeadLetter(deps, data),
    purge_dead_letter: (data) => purgeDeadLetter(deps, data),
    release_lock: (data) => releaseLock(deps, data),
  };
  for (const [endpoint, handle] of Object.entries(endpoints)) {
    group.addEndpoint(endpoint, {
      handler: (err, msg) => {
        if (err) {
          deps.logger.error({ err, endpoint }, 'ledger admin subscription error');
          return;
        }
        void respond(deps, `admin.${endpoint}`, msg, handle);
      },
    });
  }
}
