import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsServerBinary } from './nats-binary.ts';
import { processAlive, ROOT, signalAndWait } from './process.ts';
import { sleep } from './time.ts';

/**
 * A 3-node nats-server cluster of the test's own, each node in its own
 * network namespace (`ip netns`), joined by veth pairs to a bridge in the
 * root namespace where the services and the test run. Only a namespace cuts a
 * node off for real: routes are dialled both ways, pooled and gossiped, so a
 * TCP proxy on a route port leaves other paths up, and the node's client
 * connections would stay up too. `cut()` takes the node's veth down — routes
 * and clients lose it together, as with a pulled cable.
 *
 * Each node runs the prod overlay's config (deploy/overlays/prod/nats-cluster.conf)
 * with its routes pointed at the namespaces' addresses; authentication is left
 * out (the single-node permission test runs the shipped auth.conf).
 *
 * Needs root. Namespaces, links and processes are removed by stop(), by an
 * exit hook when the test process ends without it, and — for a test process
 * killed with -9 — by the next start, which sweeps what a dead PID left.
 */
export interface ClusterNode {
  readonly name: string;
  readonly ip: string;
  readonly url: string;
  readonly netns: string;
  pid(): number | undefined;
  running(): boolean;
  /** the node's own log (stderr) since the harness started it first */
  log(): string;
  /** GET a monitoring endpoint (`/routez`, `/connz`, `/jsz?…`), from inside its namespace (answers during a cut) */
  monitor<T>(path: string): Promise<T>;
  /** kill -9; it stays down until start() */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop, as a StatefulSet rollout sends); stays down until start() */
  stop(): Promise<void>;
  /** starts it again on the same store */
  start(): Promise<void>;
  /** takes the node's link down: no route, no client reaches it */
  cut(): void;
  /** brings the link back */
  heal(): void;
}

export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** every node's client URL, in node order (what NATS_URL lists, comma-separated) */
  readonly urls: readonly string[];
  /** the node a JetStream asset's leader is on (stream name, or `KV_<bucket>`), by every running node's /jsz */
  leaderOf(stream: string): Promise<ClusterNode | undefined>;
  /** leader elections the nodes' logs report so far (meta, stream and consumer leaders, every node's log since its first start) */
  leaderElections(): number;
  /**
   * resolves once every running node agrees on one JetStream meta leader; with
   * `everyNodeCurrent`, once that leader also has every other running node
   * current (what placing an R3 stream needs: the harness asks it at start)
   */
  waitForMetaLeader(timeoutMs?: number, options?: { readonly everyNodeCurrent?: boolean }): Promise<ClusterNode>;
  stop(): Promise<void>;
}

const CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;
const PREFIX = 'opsc';
let clusterCount = 0;

export async function startNatsCluster(options: { readonly size?: number } = {}): Promise<NatsCluster> {
  if (process.getuid?.() !== 0) throw new Error('the NATS cluster harness needs root (ip netns, veth, bridge)');
  sweepStale();
  const size = options.size ?? 3;
  const tag = `${process.pid.toString(36)}-${clusterCount++}`;
  const subnet = freeSubnet();
  const bridge = `oc${tag}b`;
  const dir = await mkdtemp(join(tmpdir(), 'ops-nats-cluster-'));
  const ips = Array.from({ length: size }, (_, i) => `${subnet}.${11 + i}`);
  const netnsNames = ips.map((_, i) => `${PREFIX}-${process.pid}-${tag.split('-')[1]}-n${i}`);
  const hostVeths = ips.map((_, i) => `oc${tag}h${i}`);
  const children: Array<ChildProcess | undefined> = [];

  const teardown = () => {
    for (const c of children) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // the host ends of the veth pairs go with their namespaces only when the kernel's (asynchronous)
    // namespace cleanup gets to them — seconds under load (CI run of 2026-12-07: the harness test saw
    // them after stop()): deleted here, one end takes its peer at once
    for (const veth of hostVeths) ipQuiet('link', 'del', veth);
    for (const ns of netnsNames) removeNetns(ns);
    ipQuiet('link', 'del', bridge);
  };
  process.on('exit', teardown);

  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    // bridged frames skip iptables (br_netfilter is loaded here; a FORWARD DROP policy, e.g. Docker's, would cut the nodes apart)
    ipQuiet('link', 'set', bridge, 'type', 'bridge', 'nf_call_iptables', '0');
    ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (let i = 0; i < size; i += 1) {
      const ns = netnsNames[i]!;
      const peer = `oc${tag}p${i}`;
      ip('netns', 'add', ns);
      ip('link', 'add', hostVeths[i]!, 'type', 'veth', 'peer', 'name', peer);
      ip('link', 'set', hostVeths[i]!, 'master', bridge);
      ip('link', 'set', hostVeths[i]!, 'up');
      ip('link', 'set', peer, 'netns', ns);
      ip('-n', ns, 'addr', 'add', `${ips[i]}/24`, 'dev', peer);
      ip('-n', ns, 'link', 'set', peer, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    const template = await readFile(join(ROOT, 'deploy/overlays/prod/nats-cluster.conf'), 'utf8');
    const nodes = await Promise.all(
      ips.map(async (nodeIp, i) => {
        const name = `nats-${i}`;
        const conf = join(dir, `${name}.conf`);
        await writeFile(conf, renderNodeConfig(template, name, ips));
        return createNode({
          name,
          ip: nodeIp,
          netns: netnsNames[i]!,
          hostVeth: hostVeths[i]!,
          conf,
          store: join(dir, name),
          children,
          index: i,
        });
      }),
    );
    await Promise.all(nodes.map((n) => n.start()));
    const cluster: NatsCluster = {
      nodes,
      urls: nodes.map((n) => n.url),
      async leaderOf(stream) {
        for (const n of nodes) {
          if (!n.running()) continue;
          const jsz = await n
            .monitor<{ account_details?: Array<{ stream_detail?: Array<{ name: string; cluster?: { leader?: string } }> }> }>(
              '/jsz?accounts=true&streams=true',
            )
            .catch(() => undefined);
          const detail = jsz?.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
          const leader = detail?.cluster?.leader;
          if (leader) return nodes.find((x) => x.name === leader);
        }
        return undefined;
      },
      leaderElections() {
        // each election is logged once, by the node that won it
        const won = /JetStream cluster new (stream|consumer) leader|Self is new JetStream cluster metadata leader/g;
        return nodes.reduce((n, node) => n + (node.log().match(won) ?? []).length, 0);
      },
      async waitForMetaLeader(timeoutMs = 30_000, options = {}) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const running = nodes.filter((n) => n.running());
          const views = await Promise.all(
            running.map((n) =>
              n
                .monitor<{ meta_cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean }> } }>('/jsz')
                .catch(() => undefined),
            ),
          );
          const leaders = new Set(views.map((v) => v?.meta_cluster?.leader ?? ''));
          const leader = [...leaders][0];
          const found = leaders.size === 1 && leader ? nodes.find((n) => n.name === leader) : undefined;
          const peers = found ? (views[running.indexOf(found)]?.meta_cluster?.replicas ?? []) : [];
          const current = (n: ClusterNode) => n === found || peers.some((p) => p.name === n.name && p.current);
          // not after a fault: a busy meta log keeps a restarted follower "not current" for a while (two-down, 60 s once)
          if (found && (!options.everyNodeCurrent || running.every(current))) return found;
          if (Date.now() > deadline)
            throw new Error(`no JetStream meta leader agreed on within ${timeoutMs} ms: ${[...leaders].join(', ')}`);
          await sleep(250);
        }
      },
      async stop() {
        for (const n of nodes) n.heal();
        await Promise.all(nodes.map((n) => n.stop()));
        teardown();
        process.off('exit', teardown);
        await rm(dir, { recursive: true, force: true });
      },
    };
    // an R3 stream cannot be placed before the leader has every node current (finding 11)
    await cluster.waitForMetaLeader(30_000, { everyNodeCurrent: true });
    return cluster;
  } catch (err) {
    teardown();
    process.off('exit', teardown);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The prod overlay's config for one node: its name, and routes to the namespaces' addresses instead of the headless Service's names. */
export function renderNodeConfig(template: string, name: string, ips: readonly string[]): string {
  const routes = ips.map((a) => `    nats://${a}:${ROUTE_PORT}`).join('\n');
  const out = template
    .replace('$POD_NAME', name)
    .replace(/routes: \[[^\]]*\]/, `routes: [\n${routes}\n  ]`)
    .replace(/^include .*$/m, '# (auth.conf left out by the test cluster)');
  if (out.includes('nats-headless') || out.includes('$POD_NAME'))
    throw new Error('the prod cluster config changed shape: update renderNodeConfig');
  return out;
}

interface NodeSpec {
  readonly name: string;
  readonly ip: string;
  readonly netns: string;
  readonly hostVeth: string;
  readonly conf: string;
  readonly store: string;
  readonly children: Array<ChildProcess | undefined>;
  readonly index: number;
}

function createNode(spec: NodeSpec): ClusterNode {
  let child: ChildProcess | undefined;
  let log = '';
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name: spec.name,
    ip: spec.ip,
    url: `nats://${spec.ip}:${CLIENT_PORT}`,
    netns: spec.netns,
    pid: () => child?.pid,
    running,
    log: () => log,
    async monitor<T>(path: string): Promise<T> {
      // fetched inside the node's namespace: the monitor answers while its link is cut
      const script = `fetch('http://127.0.0.1:${MONITOR_PORT}'+process.argv[1],{signal:AbortSignal.timeout(3000)}).then(r=>r.text()).then(t=>process.stdout.write(t))`;
      const text = await execText('ip', ['netns', 'exec', spec.netns, process.execPath, '-e', script, path]);
      return JSON.parse(text) as T;
    },
    async kill() {
      await signalAndWait(child, 'SIGKILL');
    },
    async stop() {
      await signalAndWait(child, 'SIGTERM');
    },
    async start() {
      if (running()) return;
      // `ip netns exec` execs the server in the namespace: this child's PID is nats-server's
      const proc = spawn('ip', ['netns', 'exec', spec.netns, natsServerBinary(), '-c', spec.conf, '-sd', spec.store], {
        env: { PATH: process.env['PATH'] ?? '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = proc;
      spec.children[spec.index] = proc;
      const startedAt = log.length;
      proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      await waitReady(spec.ip, proc, () => log.slice(startedAt));
    },
    cut() {
      ip('link', 'set', spec.hostVeth, 'down');
    },
    heal() {
      ipQuiet('link', 'set', spec.hostVeth, 'up');
    },
  };
}

async function waitReady(host: string, proc: ChildProcess, log: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`nats-server exited (${proc.exitCode ?? proc.signalCode}):\n${log()}`);
    if (/Server is ready/.test(log()) && (await portOpen(host, CLIENT_PORT))) return;
    await sleep(50);
  }
  throw new Error(`nats-server on ${host} not ready within ${timeoutMs} ms:\n${log()}`);
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, host);
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function execText(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}: exit ${code} ${err.slice(0, 300)}`)),
    );
  });
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ipQuiet(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

function removeNetns(ns: string): void {
  // processes still inside (a server this harness started) die with it
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // no such namespace
  }
  ipQuiet('netns', 'del', ns);
}

/** What a test process killed with -9 left: namespaces and bridges named after a PID that is gone. */
function sweepStale(): void {
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of namespaces.split('\n')) {
    const m = /^(opsc-(\d+)-\d+-n\d+)/.exec(line);
    if (m && !processAlive(Number(m[2]))) removeNetns(m[1]!);
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const line of links.split('\n')) {
    const m = /^\d+: (oc([0-9a-z]+)-\d+[bh]\d*)[@:]/.exec(line);
    if (m && !processAlive(Number.parseInt(m[2]!, 36))) ipQuiet('link', 'del', m[1]!);
  }
}

/** A 10.231.X.0/24 no interface of this machine is on. */
function freeSubnet(): string {
  const used = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  for (let k = 0; k < 250; k += 1) {
    const x = (process.pid + clusterCount * 7 + k) % 250;
    const subnet = `10.231.${x}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.231.X.0/24 subnet');
}
