import { globSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { ROOT } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * Layering (docs/architecture.md, "Layers"): a service's `domain/` holds pure
 * decisions and the ports they need; it imports neither `handlers/` (message
 * and request entry points), `repositories/` (PostgreSQL, KV) nor `work/`
 * (the attempt's side effects). Cycles are Biome's job (noImportCycles in
 * `pnpm lint`); this test guards the direction.
 */
const FORBIDDEN_FROM_DOMAIN = ['handlers', 'repositories', 'work'] as const;

/** Every module specifier of a source: static imports and re-exports (type-only included) and dynamic import(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gms)) found.push(m[1]!);
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The layer directories (relative to the service's src/) that a domain file at `file` reaches through `source`. */
function forbiddenReaches(file: string, source: string): string[] {
  const src = file.slice(0, file.indexOf('/src/') + '/src/'.length);
  const out: string[] = [];
  for (const spec of specifiers(source)) {
    if (!spec.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec));
    const layer = relative(src, target).split('/')[0];
    if ((FORBIDDEN_FROM_DOMAIN as readonly string[]).includes(layer ?? '')) out.push(`${file} → ${spec}`);
  }
  return out;
}

const domainFiles = globSync('services/*/src/domain/**/*.ts', { cwd: ROOT });

describe('layering: domain/ depends on no outer layer', () => {
  it('finds the domain modules it guards', () => {
    expect(domainFiles).toContain('services/assignment-worker/src/domain/lease-holder.ts');
    expect(domainFiles).toContain('services/ledger-service/src/domain/apply-event.ts');
    expect(domainFiles).toContain('services/housekeeping/src/domain/verdict.ts');
  });

  it('no domain/ module imports handlers/, repositories/ or work/ (type-only imports included)', async () => {
    const offenders: string[] = [];
    for (const file of domainFiles) offenders.push(...forbiddenReaches(file, await readFile(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the guard catches each kind of import (self-check)', () => {
    const file = 'services/x/src/domain/a.ts';
    expect(forbiddenReaches(file, "import { b } from '../repositories/b.ts';")).toHaveLength(1);
    expect(forbiddenReaches(file, "import type {\n  B,\n} from '../handlers/b.ts';")).toHaveLength(1);
    expect(forbiddenReaches(file, "export { c } from '../work/c.ts';")).toHaveLength(1);
    expect(forbiddenReaches(file, "const m = await import('../work/m.ts');")).toHaveLength(1);
    expect(forbiddenReaches(file, "import { d } from './d.ts';\nimport { z } from 'zod';")).toEqual([]);
    expect(forbiddenReaches(file, "import { e } from '../metrics.ts';")).toEqual([]);
  });
});

describe('public entries: every libs/*/src/index.ts and the @ops/test-support entry name what they export', () => {
  const indexes = globSync(['libs/*/src/index.ts', 'test/support/src/index.ts'], { cwd: ROOT });

  it('finds every library entry and the test support entry', () => {
    expect(indexes.length).toBeGreaterThanOrEqual(9);
    expect(indexes).toContain('test/support/src/index.ts');
  });

  it('only re-exports by name — values, then export type {…} — and implements nothing', async () => {
    const problems: string[] = [];
    for (const file of indexes) {
      const statements = (await readFile(join(ROOT, file), 'utf8'))
        .replace(/\/\/[^\n]*/g, '')
        .split(';')
        .map((s) => s.trim().replace(/\s+/g, ' '))
        .filter(Boolean);
      let seenType = false;
      for (const s of statements) {
        const kind = /^export \{[^}*]+\} from '[^']+'$/.test(s) ? 'value' : /^export type \{[^}*]+\} from '[^']+'$/.test(s) ? 'type' : null;
        if (kind === null) problems.push(`${file}: not a named re-export: ${s.slice(0, 80)}`);
        else if (kind === 'value' && seenType) problems.push(`${file}: value export after a type export: ${s.slice(0, 80)}`);
        if (kind === 'type') seenType = true;
      }
    }
    expect(problems).toEqual([]);
  });
});
