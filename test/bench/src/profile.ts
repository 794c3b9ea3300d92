import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Summarizes V8 .cpuprofile files (`node --cpu-prof`): self time per
 * function (name + url:line) and per package/url, descending.
 *
 *   node test/bench/src/profile.ts <dir-or-file>… [--top 15]
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface CostRow {
  readonly key: string;
  readonly selfMs: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** time not in (idle) */
  readonly busyMs: number;
  readonly byFunction: CostRow[];
  readonly byUrl: CostRow[];
}

/** Shortens a file:// url to what a reader needs: the package (node_modules/x) or the repo path. */
export function shortUrl(url: string): string {
  if (url === '') return '(native/vm)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    // pnpm: .pnpm/<pkg@ver>/node_modules/<pkg>/… — the last node_modules wins
    return `${pkg}/${rest.slice(pkg?.startsWith('@') ? 2 : 1).join('/')}`;
  }
  const m = /\/(libs|services|deploy|test)\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** the package (or repo package dir) of a url, for the by-url view */
export function packageOf(url: string): string {
  const s = shortUrl(url);
  if (s.startsWith('node:') || s === '(native/vm)') return s.startsWith('node:') ? 'node: (core)' : s;
  const parts = s.split('/');
  if (parts[0] === 'libs' || parts[0] === 'services' || parts[0] === 'deploy' || parts[0] === 'test') return `${parts[0]}/${parts[1]}`;
  if (parts[0]?.startsWith('@')) return `${parts[0]}/${parts[1]}`;
  return parts[0] ?? s;
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) {
    // the delta before sample i+1 is the time spent in sample i
    const dt = (deltas[i + 1] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const byFn = new Map<string, number>();
  const byUrl = new Map<string, number>();
  let idle = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const key = url ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}` : functionName || '(anonymous)';
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
    const pk = url ? packageOf(url) : functionName.startsWith('(') ? functionName : '(native/vm)';
    byUrl.set(pk, (byUrl.get(pk) ?? 0) + ms);
  }
  const busyMs = totalMs - idle;
  const rows = (m: Map<string, number>): CostRow[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, selfMs]) => ({ key, selfMs, percent: busyMs > 0 ? (selfMs / busyMs) * 100 : 0 }));
  return { totalMs, busyMs, byFunction: rows(byFn), byUrl: rows(byUrl) };
}

export function renderSummary(title: string, s: ProfileSummary, top = 10): string {
  const lines = [`#### ${title}`, '', `wall ${(s.totalMs / 1000).toFixed(1)} s, busy (not idle) ${(s.busyMs / 1000).toFixed(1)} s`, ''];
  lines.push('| self ms | % of busy | package / url |', '|---:|---:|---|');
  for (const r of s.byUrl.slice(0, top)) lines.push(`| ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} | \`${r.key}\` |`);
  lines.push('', '| self ms | % of busy | function |', '|---:|---:|---|');
  for (const r of s.byFunction.slice(0, top)) lines.push(`| ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} | \`${r.key}\` |`);
  return lines.join('\n');
}

/** every .cpuprofile under the given paths (files or directories) */
export async function profileFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p.endsWith('.cpuprofile')) out.push(p);
    else {
      for (const entry of await readdir(p, { recursive: true })) if (entry.endsWith('.cpuprofile')) out.push(join(p, entry));
    }
  }
  return out.sort();
}

export async function summarizeFile(file: string, top = 15): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const topIdx = args.indexOf('--top');
  const top = topIdx >= 0 ? Number(args.splice(topIdx, 2)[1]) : 12;
  const files = await profileFiles(args.length > 0 ? args : ['.']);
  for (const f of files) process.stdout.write(`${renderSummary(f, await summarizeFile(f, top), top)}\n\n`);
}
