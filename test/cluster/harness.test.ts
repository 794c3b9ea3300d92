import { execFileSync, spawn } from 'node:child_process';
import { processAlive, ROOT, sleep, startNatsCluster } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The cluster harness leaves nothing behind, whatever happened (issue #19
 * item 1): stop() removes the namespaces, links and servers; a test process
 * killed with -9 leaves them, and the next start sweeps them away.
 */
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const links = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });

describe('the 3-node cluster harness', () => {
  it('runs each node in its own namespace with its own address, forms one cluster, and removes everything at stop()', async () => {
    const cluster = await startNatsCluster();
    const pids = cluster.nodes.map((n) => n.pid()!);
    const nsNames = cluster.nodes.map((n) => n.netns);
    try {
      for (const ns of nsNames) expect(namespaces()).toContain(ns);
      // each server sees its own namespace's address only
      for (const node of cluster.nodes) {
        const addrs = execFileSync('ip', ['-n', node.netns, '-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
        expect(addrs).toContain(`${node.ip}/24`);
        for (const other of cluster.nodes.filter((o) => o !== node)) expect(addrs).not.toContain(`${other.ip}/`);
      }
      const leader = await cluster.waitForMetaLeader();
      expect(cluster.nodes.map((n) => n.name)).toContain(leader.name);
      expect((await cluster.nodes[0]!.monitor<{ num_routes: number }>('/routez')).num_routes).toBeGreaterThan(0);
    } finally {
      await cluster.stop();
    }
    for (const ns of nsNames) expect(namespaces()).not.toContain(ns);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect(links()).not.toMatch(new RegExp(`oc${process.pid.toString(36)}-\\d+[bh]`));
  });

  it('sweeps what a test process killed with -9 left: its namespaces, links and nats-servers', async () => {
    const child = spawn(process.execPath, ['test/cluster/fixtures/hold-cluster.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('\n') && Date.now() < deadline) await sleep(100);
    const left = JSON.parse(out.split('\n')[0]!) as { netns: string[]; pids: number[] };
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // what the dead process made is still there
    for (const ns of left.netns) expect(namespaces()).toContain(ns);
    for (const pid of left.pids) expect(processAlive(pid)).toBe(true);
    expect(links()).toContain(`oc${child.pid!.toString(36)}-0b`);

    const cluster = await startNatsCluster();
    await cluster.stop();
    for (const ns of left.netns) expect(namespaces()).not.toContain(ns);
    // SIGKILL is delivered asynchronously: bounded wait, not a fixed sleep
    const until = Date.now() + 10_000;
    while (left.pids.some(processAlive) && Date.now() < until) await sleep(100);
    for (const pid of left.pids) expect(processAlive(pid)).toBe(false);
    expect(links()).not.toContain(`oc${child.pid!.toString(36)}-0b`);
  });
});
