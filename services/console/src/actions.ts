import { DISPATCHABLE_TYPES } from '@ops/contracts';
import { dispatch } from '@ops/ledger-client';
import type { Principal } from './auth.ts';
import type { ConsoleDeps } from './deps.ts';
import { HttpError } from './http.ts';
import type { ActionName } from './metrics.ts';

/** An action: the body (a JSON object) and who acts → the ledger's answer. */
type Action = (body: Record<string, unknown>, principal: Principal) => Promise<unknown>;
/** an action and its name (the metrics' label) */
interface NamedAction {
  readonly name: ActionName;
  readonly run: Action;
}

const RUN_ACTION = /^\/api\/runs\/([^/]+)\/(cancel|rerun)$/;
const DLQ_ACTION = /^\/api\/dlq\/([^/]+)\/(redrive|purge)$/;
const LOCK_ACTION = /^\/api\/locks\/([^/]+)\/release$/;

/**
 * The action behind a POST path, or null (404). The actor is ALWAYS the
 * authenticated principal: a body's `actor` is ignored (docs/security.md,
 * "The actor is the caller's assertion" — the console is the gateway that
 * fills it in). Every action but dispatch needs a reason of 1–1000
 * characters; the ledger validates the rest and stores actor and reason with
 * the action.
 */
export function actionFor(deps: ConsoleDeps, pathname: string): NamedAction | null {
  if (pathname === '/api/dispatch') {
    return named('dispatch', async (body, principal) => {
      const type = str(body, 'type');
      if (!(DISPATCHABLE_TYPES as readonly string[]).includes(type)) {
        throw new HttpError(400, 'bad_request', `type must be one of ${DISPATCHABLE_TYPES.join(', ')}`);
      }
      const result = await dispatch(deps.ledger, {
        workspace_id: str(body, 'workspace'),
        tenant_id: str(body, 'tenant'),
        type: type as (typeof DISPATCHABLE_TYPES)[number],
        inputs: { policy_ids: policies(body['policies']) },
        initiator: { name: principal.name },
      });
      return { run_id: result.run.id, disposition: result.disposition, published: result.published, run: result.run };
    });
  }
  const run = RUN_ACTION.exec(pathname);
  if (run !== null) {
    const runId = decode(run[1]!);
    if (run[2] === 'cancel') {
      return named('cancel', (body, principal) =>
        deps.admin.cancelRun({ workspace_id: str(body, 'workspace'), run_id: runId, ...audit(body, principal) }),
      );
    }
    return named('rerun', (body, principal) =>
      deps.admin.rerunRun({ workspace_id: str(body, 'workspace'), run_id: runId, force: flag(body, 'force'), ...audit(body, principal) }),
    );
  }
  const dlq = DLQ_ACTION.exec(pathname);
  if (dlq !== null) {
    const name = dlq[2] === 'purge' ? 'purge' : 'redrive';
    const seq = Number(decode(dlq[1]!));
    if (!Number.isSafeInteger(seq) || seq < 1)
      return named(name, () => Promise.reject(new HttpError(400, 'bad_request', 'the sequence must be a positive integer')));
    if (name === 'purge') return named(name, (body, principal) => deps.admin.purgeDeadLetter({ seq, ...audit(body, principal) }));
    return named(name, (body, principal) => deps.admin.redriveDeadLetter({ seq, force: flag(body, 'force'), ...audit(body, principal) }));
  }
  const lock = LOCK_ACTION.exec(pathname);
  if (lock !== null) {
    const key = decode(lock[1]!);
    return named('release', (body, principal) =>
      deps.admin.releaseLock({ key, force: flag(body, 'force'), cooldown: flag(body, 'cooldown'), ...audit(body, principal) }),
    );
  }
  return null;
}

function named(name: ActionName, run: Action): NamedAction {
  return { name, run };
}

function audit(body: Record<string, unknown>, principal: Principal): { actor: string; reason: string } {
  const reason = body['reason'];
  if (typeof reason !== 'string' || reason.trim().length < 1 || reason.length > 1000) {
    throw new HttpError(400, 'bad_request', 'reason is required: 1-1000 characters saying why');
  }
  return { actor: principal.name, reason };
}

function str(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new HttpError(400, 'bad_request', `${name} is required (a string)`);
  return value;
}

function flag(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new HttpError(400, 'bad_request', `${name} must be true or false`);
  return value;
}

function policies(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 500 || !value.every((p) => typeof p === 'string')) {
    throw new HttpError(400, 'bad_request', 'policies must be a list of at most 500 policy ids');
  }
  return value as string[];
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad_request', 'the path is not valid percent-encoding');
  }
}
