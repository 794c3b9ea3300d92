import type { Logger } from 'pino';
import { parseAssignmentPage } from './body.ts';
import { describePath, graphError } from './errors.ts';
import { type RequestContext, sendGraphRequest } from './request.ts';
import { sleep as realSleep, type Sleep } from './retry.ts';
import { createTokenSource } from './token.ts';
import type { GraphAssignment, GraphClient } from './types.ts';

export interface HttpGraphClientOptions {
  /** e.g. https://login.microsoftonline.com */
  readonly authorityUrl: string;
  /** e.g. https://graph.microsoft.com */
  readonly graphUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** per HTTP request, token requests included */
  readonly timeoutMs: number;
  /** in-place retries of 429/502/503/504 per call (0 = none) */
  readonly maxRetries: number;
  /** cap on any single wait, Retry-After included */
  readonly maxRetryAfterMs: number;
  readonly logger?: Logger;
  /** injectable so tests record the waits instead of spending them */
  readonly sleep?: Sleep;
}

const POLICIES_PATH = ['beta', 'deviceManagement', 'deviceConfigurations'];
/** a nextLink chain longer than this is a loop, not a policy */
const MAX_PAGES = 1000;

/** The Microsoft Graph implementation of GraphClient (client credentials, paging, retries, timeouts). */
export function createHttpGraphClient(options: HttpGraphClientOptions): GraphClient {
  const graphBase = options.graphUrl.replace(/\/+$/, '');
  const graphOrigin = new URL(graphBase).origin;
  const context: RequestContext = {
    tokens: createTokenSource(options),
    clientSecret: options.clientSecret,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    maxRetryAfterMs: options.maxRetryAfterMs,
    sleep: options.sleep ?? realSleep,
    logger: options.logger,
  };
  const policyUrl = (policy: string, action: string) =>
    new URL(`${graphBase}/${[...POLICIES_PATH, policy, action].map(encodeURIComponent).join('/')}`);

  return {
    async listAssignments(tenant, policy, signal) {
      const assignments: GraphAssignment[] = [];
      let url: URL | undefined = policyUrl(policy, 'assignments');
      for (let page = 0; url !== undefined; page += 1) {
        const current: URL = url;
        const response = await sendGraphRequest(context, { method: 'GET', url: current, tenant, okStatuses: [200] }, signal);
        const errorContext = { secrets: [options.clientSecret, response.token] };
        const fail = (reason: string) =>
          graphError('graph.bad_response', `GET ${describePath(current)} answered HTTP 200 but ${reason}`, errorContext, {
            status: 200,
            transient: false,
          });
        const parsed = parseAssignmentPage(response.text);
        if (typeof parsed === 'string') throw fail(parsed);
        assignments.push(...parsed.value);
        if (parsed.nextLink === undefined) break;
        const next = URL.parse(parsed.nextLink);
        // the bearer token goes to Graph's own origin only, whatever a body says
        if (next === null || next.origin !== graphOrigin) throw fail('@odata.nextLink points outside the Graph origin');
        if (page + 1 >= MAX_PAGES) throw fail(`@odata.nextLink continues past ${MAX_PAGES} pages`);
        url = next;
      }
      return assignments;
    },

    async assign(tenant, policy, assignments, signal) {
      const json = { assignments: assignments.map(({ id, target }) => ({ id, target })) };
      await sendGraphRequest(context, { method: 'POST', url: policyUrl(policy, 'assign'), tenant, json, okStatuses: [200, 204] }, signal);
    },
  };
}
