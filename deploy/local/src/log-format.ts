/**
 * Readable one-line rendering of the services' JSON logs for a terminal
 * (`pnpm start` on a TTY). Non-JSON lines pass through unchanged.
 */
const SKIP = new Set(['level', 'time', 'service', 'pid', 'msg', 'hostname']);

export function formatLogLine(name: string, line: string): string {
  if (!line.startsWith('{')) return `${name.padEnd(16)} ${line}`;
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    const time = typeof rec['time'] === 'string' ? rec['time'].slice(11, 23) : '';
    const level = String(rec['level'] ?? '').padEnd(5);
    const fields = Object.entries(rec)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${name.padEnd(16)} ${level} ${String(rec['msg'] ?? '')}${fields ? `  ${fields}` : ''}`;
  } catch {
    return `${name.padEnd(16)} ${line}`;
  }
}
