import { describeKeys } from '@ops/config';
import { describe, expect, it } from 'vitest';
import { fakeGraphConfigSchema, loadFakeGraphConfig } from '../src/config.ts';

describe('fake-graph config', () => {
  it('has documented defaults', () => {
    expect(loadFakeGraphConfig({})).toEqual({
      FAKE_GRAPH_PORT: 8090,
      FAKE_GRAPH_HOST: '127.0.0.1',
      FAKE_GRAPH_CLIENT_ID: 'ops-local',
      FAKE_GRAPH_CLIENT_SECRET: 'local-fake-graph-secret',
      FAKE_GRAPH_LATENCY_MS: 0,
      FAKE_GRAPH_PAGE_SIZE: 2,
      LOG_LEVEL: 'info',
    });
    for (const { key, description } of describeKeys(fakeGraphConfigSchema)) expect(description, key).not.toBe('');
  });
});
