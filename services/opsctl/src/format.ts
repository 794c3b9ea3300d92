/**
 * Plain-text tables for the human output (every list command uses the
 * same look): columns padded to their widest cell, the last column unpadded
 * so lines carry no trailing spaces.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = ''): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** "1 tenant", "3 tenants" */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
