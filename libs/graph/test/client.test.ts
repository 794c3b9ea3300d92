import type { FakeGraph } from '@ops/fake-graph';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeClient, startFake } from './helpers.ts';

/** The happy paths against the fake Graph over real HTTP: paging, assign, one token per tenant. */
let fake: FakeGraph;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

describe('listAssignments', () => {
  it('follows @odata.nextLink and returns exactly the truth', async () => {
    const { client } = makeClient(fake);
    let pagedPolicies = 0;
    for (let i = 0; i < 10; i += 1) {
      const policy = `policy-${i}`;
      const truth = fake.truth('tenant-a', policy);
      if (truth.length > 2) pagedPolicies += 1;
      expect(await client.listAssignments('tenant-a', policy)).toEqual(truth);
      expect(fake.probe().by_key[`tenant-a/${policy}`]?.list_calls).toBe(Math.ceil(truth.length / 2));
    }
    expect(pagedPolicies).toBeGreaterThan(0);
  });

  it('encodes path segments', async () => {
    const { client } = makeClient(fake);
    const policy = 'odd/policy id?x=1#frag';
    expect(await client.listAssignments('tenant a/b', policy)).toEqual(fake.truth('tenant a/b', policy));
    expect(Object.keys(fake.probe().by_key)).toEqual([`tenant a/b/${policy}`]);
  });
});

describe('assign', () => {
  it('replaces the assignments; list and truth then show the assigned set', async () => {
    const { client } = makeClient(fake);
    const assignments = [
      { id: 'x1', target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } },
      { id: 'x2', target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'g-1' } },
    ];
    await client.assign('tenant-a', 'p1', assignments);
    expect(fake.truth('tenant-a', 'p1')).toEqual(assignments);
    expect(await client.listAssignments('tenant-a', 'p1')).toEqual(assignments);
    expect(fake.probe().by_key['tenant-a/p1']).toMatchObject({ assign_calls: 1, status_counts: { '204': 1, '200': 1 } });
  });
});

describe('tokens', () => {
  it('requests one token per tenant across many (concurrent) calls', async () => {
    const { client } = makeClient(fake);
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.listAssignments('tenant-a', `p${i}`)));
    await client.listAssignments('tenant-a', 'p1');
    expect(fake.probe().token_calls).toBe(1);
    await Promise.all([client.listAssignments('tenant-b', 'p1'), client.listAssignments('tenant-b', 'p2')]);
    expect(fake.probe().token_calls).toBe(2);
  });

  it('drops a revoked cached token on 401 and retries once with a fresh one', async () => {
    const { client } = makeClient(fake);
    await client.listAssignments('tenant-a', 'p1');
    fake.revokeTokens();
    expect(await client.listAssignments('tenant-a', 'p1')).toEqual(fake.truth('tenant-a', 'p1'));
    const probe = fake.probe();
    expect(probe.token_calls).toBe(2);
    // the 401 carried no known tenant, so it counts in total_calls only
    expect(probe.total_calls).toBe(2 * Math.ceil(fake.truth('tenant-a', 'p1').length / 2) + 1);
  });
});
