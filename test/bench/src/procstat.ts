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
 * Samples a set of named processes every `intervalMs` while a workload runs;
 * CPU is counted from `mark()` (the workload's start), peak RSS over the
 * process's whole life (VmHWM).
 */
export class ProcWatch {
  readonly #pids = new Map<string, number>();
  readonly #startCpu = new Map<string, number>();
  readonly #last = new Map<string, ProcSample>();
  #timer: NodeJS.Timeout | undefined;

  add(name: string, pid: number): void {
    this.#pids.set(name, pid);
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
    for (const [name, pid] of this.#pids) {
      const s = sampleProcess(pid);
      if (s) this.#last.set(name, s);
    }
  }

  /** final figures; call before the processes exit */
  stop(): { peakRssMb: Record<string, number>; cpuS: Record<string, number> } {
    this.sample();
    clearInterval(this.#timer);
    const peakRssMb: Record<string, number> = {};
    const cpuS: Record<string, number> = {};
    for (const [name, s] of this.#last) {
      peakRssMb[name] = Math.round(s.peakRssMb * 10) / 10;
      cpuS[name] = Math.round((s.cpuS - (this.#startCpu.get(name) ?? 0)) * 100) / 100;
    }
    return { peakRssMb, cpuS };
  }
}
