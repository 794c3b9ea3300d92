import { readFileSync } from 'node:fs';

/**
 * Per-process resource figures from /proc (Linux): peak RSS (VmHWM of
 * /proc/<pid>/status — the kernel's own high-water mark) and CPU seconds
 * (utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s).
 */
const CLK_TCK = 100;

export interface ProcSample {
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly cpuS: number;
}

/** Parses /proc/<pid>/stat: fields after the ")" of the command name. */
export function parseStatCpu(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / CLK_TCK;
}

/** CPU seconds of its children it has waited for (cutime + cstime, fields 16 and 17): backends that exited. */
export function parseStatChildrenCpu(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / CLK_TCK;
}

/** VmRSS / VmHWM of /proc/<pid>/status in MB. */
export function parseStatusKb(status: string, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export function sampleProcess(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { rssMb: parseStatusKb(status, 'VmRSS'), peakRssMb: parseStatusKb(status, 'VmHWM'), cpuS: parseStatCpu(stat) };
  } catch {
    return null; // gone
  }
}

/**
 * CPU seconds of a process tree (PostgreSQL: the postmaster and all its
 * backends): its own, its reaped children's (cutime + cstime: backends that
 * exited — a connection per run would otherwise be lost), and every live
 * child's, with theirs. A backend alive at the start and reaped before the
 * end moves from "live" to "reaped" without changing the sum.
 */
export function sampleTreeCpu(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    let cpu = parseStatCpu(stat) + parseStatChildrenCpu(stat);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const child of children === '' ? [] : children.split(/\s+/)) cpu += sampleTreeCpu(Number(child)) ?? 0;
    return cpu;
  } catch {
    return null; // gone
  }
}

/** Several processes as one (a cluster's nodes): CPU and peak RSS summed; null when none is left. */
export function sampleProcesses(pids: readonly number[]): ProcSample | null {
  const samples = pids.map(sampleProcess).filter((s): s is ProcSample => s !== null);
  if (samples.length === 0) return null;
  const total = (pick: (s: ProcSample) => number) => samples.reduce((n, s) => n + pick(s), 0);
  return { rssMb: total((s) => s.rssMb), peakRssMb: total((s) => s.peakRssMb), cpuS: total((s) => s.cpuS) };
}

/**
 * Samples a set of named processes every `intervalMs` while a workload runs;
 * CPU is counted from `mark()` (the workload's start), peak RSS over the
 * process's whole life (VmHWM). A name may stand for several processes
 * (nats-server on a cluster: its nodes summed); they must all live through
 * the workload, or the sum drops.
 */
export class ProcWatch {
  readonly #pids = new Map<string, readonly number[]>();
  /** whole trees (CPU only): a server with worker processes */
  readonly #trees = new Map<string, number>();
  readonly #startCpu = new Map<string, number>();
  readonly #last = new Map<string, ProcSample>();
  #timer: NodeJS.Timeout | undefined;

  add(name: string, ...pids: number[]): void {
    this.#pids.set(name, pids);
  }

  /** a process and all its children, CPU only (their RSS is mostly shared memory) */
  addTree(name: string, pid: number): void {
    this.#trees.set(name, pid);
  }

  start(intervalMs = 200): void {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** CPU counting starts now */
  mark(): void {
    this.sample();
    for (const [name, s] of this.#last) this.#startCpu.set(name, s.cpuS);
  }

  sample(): void {
    for (const [name, pids] of this.#pids) {
      const s = sampleProcesses(pids);
      if (s) this.#last.set(name, s);
    }
    for (const [name, pid] of this.#trees) {
      const cpuS = sampleTreeCpu(pid);
      if (cpuS !== null) this.#last.set(name, { rssMb: Number.NaN, peakRssMb: Number.NaN, cpuS });
    }
  }

  /** final figures; call before the processes exit */
  stop(): { peakRssMb: Record<string, number>; cpuS: Record<string, number> } {
    this.sample();
    clearInterval(this.#timer);
    const peakRssMb: Record<string, number> = {};
    const cpuS: Record<string, number> = {};
    for (const [name, s] of this.#last) {
      if (!this.#trees.has(name)) peakRssMb[name] = Math.round(s.peakRssMb * 10) / 10;
      cpuS[name] = Math.round((s.cpuS - (this.#startCpu.get(name) ?? 0)) * 100) / 100;
    }
    return { peakRssMb, cpuS };
  }
}
