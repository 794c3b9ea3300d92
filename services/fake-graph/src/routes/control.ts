import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeContext } from '../context.ts';
import { type Faults, faultsSchema } from '../faults.ts';
import { readJson, sendEmpty, sendJson } from '../http.ts';

/**
 * The control API for tests, benchmarks and docker-compose (unauthenticated:
 * the fake only ever runs on a developer machine or in CI):
 *   PUT  /_fake/faults                  replace the faults (JSON body)
 *   GET  /_fake/faults                  the faults with their remaining counters
 *   POST /_fake/reset                   faults back to the start-time ones, probe and assigned data cleared
 *   POST /_fake/revoke-tokens           every issued token becomes unknown (401)
 *   GET  /_fake/probe                   the probe
 *   GET  /_fake/truth/{tenant}/{policy} what the list endpoint returns
 */
export interface ControlActions {
  setFaults(faults: Faults): void;
  reset(): void;
  revokeTokens(): void;
}

/** Answers a control or health route; false when the path is none of them. */
export async function handleControl(
  context: FakeContext,
  actions: ControlActions,
  req: IncomingMessage,
  res: ServerResponse,
  segments: readonly string[],
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (method === 'GET' && segments[0] === '_fake' && segments[1] === 'truth') {
    const [tenant, policy, ...rest] = segments.slice(2);
    if (tenant === undefined || policy === undefined || rest.length > 0) return false;
    sendJson(res, 200, context.store.get(tenant, policy));
    return true;
  }
  switch (`${method} ${segments.join('/')}`) {
    case 'GET healthz':
    case 'GET readyz':
      sendJson(res, 200, { status: 'ok' });
      return true;
    case 'PUT _fake/faults': {
      const parsed = faultsSchema.safeParse(await readJson(req));
      if (!parsed.success) {
        sendJson(res, 400, {
          error: 'invalid_faults',
          issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
        });
        return true;
      }
      actions.setFaults(parsed.data);
      sendEmpty(res, 204);
      return true;
    }
    case 'GET _fake/faults':
      sendJson(res, 200, context.faults.current());
      return true;
    case 'POST _fake/reset':
      actions.reset();
      sendEmpty(res, 204);
      return true;
    case 'POST _fake/revoke-tokens':
      actions.revokeTokens();
      sendEmpty(res, 204);
      return true;
    case 'GET _fake/probe':
      sendJson(res, 200, context.probe.snapshot());
      return true;
    default:
      return false;
  }
}
