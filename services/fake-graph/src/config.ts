import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';

/** fake-graph configuration (local stand-in for Microsoft Graph and its token endpoint). */
export const fakeGraphConfigSchema = z.object({
  /** port of the fake's Graph, token, control and health routes */
  FAKE_GRAPH_PORT: intKey(8090, 0, 65535).describe('port of the fake Graph server (0 = any free port)'),
  /** interface to listen on; docker-compose sets 0.0.0.0 */
  FAKE_GRAPH_HOST: z.string().min(1).default('127.0.0.1').describe('interface the fake Graph server listens on'),
  /** the only client id the fake token endpoint accepts */
  FAKE_GRAPH_CLIENT_ID: z.string().min(1).default('ops-local').describe('client id the fake token endpoint accepts'),
  /** the only client secret the fake token endpoint accepts (a local, non-secret value) */
  FAKE_GRAPH_CLIENT_SECRET: z.string().min(1).default('local-fake-graph-secret').describe('client secret the fake token endpoint accepts'),
  /** latency added to every Graph call (a fault the control API can change) */
  FAKE_GRAPH_LATENCY_MS: intKey(0, 0, 600_000).describe('latency added to every Graph call (ms)'),
  /** assignments per page before @odata.nextLink */
  FAKE_GRAPH_PAGE_SIZE: intKey(2, 1, 1000).describe('assignments per page of the fake list endpoint'),
  LOG_LEVEL: sharedKeys.LOG_LEVEL,
});
export type FakeGraphConfig = z.infer<typeof fakeGraphConfigSchema>;

export function loadFakeGraphConfig(env?: Env): Readonly<FakeGraphConfig> {
  return loadConfig(fakeGraphConfigSchema, env);
}
