import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { errorBody, type FakeContext } from '../context.ts';
import { pause, readJson, sendEmpty, sendJson } from '../http.ts';

/**
 * The two Graph endpoints the workers use, with the fake's faults applied:
 *   GET  /beta/deviceManagement/deviceConfigurations/{policy}/assignments[?$skiptoken=n]
 *   POST /beta/deviceManagement/deviceConfigurations/{policy}/assign
 */
export interface GraphCall {
  readonly policy: string;
  readonly kind: 'list' | 'assign';
}

const assignBodySchema = z.object({
  assignments: z.array(z.object({ id: z.string().min(1), target: z.record(z.string(), z.unknown()) })),
});

/** The call a path and method name, or undefined when it is no Graph route. */
export function matchGraphCall(method: string, segments: readonly string[]): GraphCall | undefined {
  const [beta, management, configurations, policy, action, ...rest] = segments;
  if (beta !== 'beta' || management !== 'deviceManagement' || configurations !== 'deviceConfigurations') return undefined;
  if (policy === undefined || policy === '' || rest.length > 0) return undefined;
  if (method === 'GET' && action === 'assignments') return { policy, kind: 'list' };
  if (method === 'POST' && action === 'assign') return { policy, kind: 'assign' };
  return undefined;
}

export async function handleGraphCall(
  context: FakeContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  call: GraphCall,
): Promise<void> {
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  const tenant = bearer === undefined ? undefined : context.tokens.tenantOf(bearer);
  if (tenant === undefined) {
    context.probe.anonymousCall();
    sendJson(res, 401, errorBody(context, req, 'InvalidAuthenticationToken', 'Access token is empty or invalid.'));
    return;
  }
  const end = context.probe.begin(tenant, call.policy, call.kind);
  // the call stays "in flight" until the client has its answer or went away
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  let status = 0;
  try {
    await pause(context.faults.holdMs(call.policy), AbortSignal.any([gone.signal, context.closing]));
    status = await answer(context, req, res, url, call, tenant);
  } finally {
    end(status || 499);
  }
}

async function answer(
  context: FakeContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  call: GraphCall,
  tenant: string,
): Promise<number> {
  if (res.destroyed) return 499;
  const fault = context.faults.decide(call.policy);
  if (fault?.status === 429) {
    const body = errorBody(context, req, 'TooManyRequests', 'Too many requests, retry later.');
    sendJson(res, 429, body, { 'retry-after': String(fault.retryAfterSeconds ?? 0) });
    return 429;
  }
  if (fault?.status === 503) {
    sendJson(res, 503, errorBody(context, req, 'ServiceUnavailable', 'The service is temporarily unavailable.'));
    return 503;
  }
  if (fault?.status === 403) {
    sendJson(res, 403, errorBody(context, req, 'Forbidden', 'Application is not authorized to perform this operation.'));
    return 403;
  }
  if (fault?.status === 404) {
    sendJson(res, 404, errorBody(context, req, 'ResourceNotFound', 'The policy was not found.'));
    return 404;
  }
  return call.kind === 'list' ? listPage(context, req, res, url, call, tenant) : assign(context, req, res, call, tenant);
}

function listPage(context: FakeContext, req: IncomingMessage, res: ServerResponse, url: URL, call: GraphCall, tenant: string): number {
  const all = context.store.get(tenant, call.policy);
  const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
  if (!Number.isInteger(skip) || skip < 0) {
    sendJson(res, 400, errorBody(context, req, 'BadRequest', 'Invalid $skiptoken.'));
    return 400;
  }
  const end = skip + context.pageSize;
  const body: Record<string, unknown> = { value: all.slice(skip, end) };
  if (end < all.length) {
    // absolute, on the origin the client called (the Host it used), as Graph does
    const origin = context.faults.current().nextLinkOrigin ?? (req.headers.host ? `http://${req.headers.host}` : context.origin());
    const next = new URL(url.pathname, origin);
    next.searchParams.set('$skiptoken', String(end));
    body['@odata.nextLink'] = next.href;
  }
  sendJson(res, 200, body);
  return 200;
}

async function assign(context: FakeContext, req: IncomingMessage, res: ServerResponse, call: GraphCall, tenant: string): Promise<number> {
  const parsed = assignBodySchema.safeParse(await readJson(req));
  if (!parsed.success) {
    sendJson(res, 400, errorBody(context, req, 'BadRequest', 'The body must be {assignments: [{id, target}]}.'));
    return 400;
  }
  context.store.replace(tenant, call.policy, parsed.data.assignments);
  sendEmpty(res, 204);
  return 204;
}
