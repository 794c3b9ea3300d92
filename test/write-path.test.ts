import { globSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ROOT } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * Invariant (docs/requirements.md, write path): only services/ledger-service writes
 * operation_runs. This test fails if any other package's source writes the
 * table in SQL, uses the OperationRun entity, imports the ledger's
 * repository, or depends on the ledger-service package. (The database
 * grants prove the same at run time: see services/ledger-service/test/schema.test.ts.)
 */
const sources = globSync(['libs/*/src/**/*.ts', 'services/*/src/**/*.ts', 'deploy/local/src/**/*.ts'], { cwd: ROOT }).filter(
  (f) => !f.endsWith('.test.ts'),
);
const LEDGER = 'services/ledger-service/';
// the schema's own home: migrations create the table and grant on it; entities map it
const SCHEMA_FILES = new Set(['libs/db/src/entities.ts']);
const isSchemaFile = (f: string) => SCHEMA_FILES.has(f) || f.startsWith('libs/db/src/migrations/');

const WRITE_SQL = /\b(insert\s+into|update|delete\s+from|truncate(\s+table)?|merge\s+into|copy)\s+("?public"?\.)?"?operation_runs\b/i;

describe('the operation_runs write path', () => {
  it('finds the sources it guards', () => {
    expect(sources.some((f) => f.startsWith(LEDGER))).toBe(true);
    expect(sources.some((f) => f.startsWith('libs/'))).toBe(true);
  });

  it('no package but ledger-service writes operation_runs in SQL', async () => {
    const offenders: string[] = [];
    for (const file of sources.filter((f) => !f.startsWith(LEDGER) && !isSchemaFile(f))) {
      const text = await readFile(join(ROOT, file), 'utf8');
      if (WRITE_SQL.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it('no package but ledger-service uses the OperationRun entity or reaches into the ledger', async () => {
    const offenders: string[] = [];
    for (const file of sources.filter((f) => !f.startsWith(LEDGER) && !isSchemaFile(f) && f !== 'libs/db/src/index.ts')) {
      const text = await readFile(join(ROOT, file), 'utf8');
      if (/\bOperationRun\b/.test(text) || /(from|import\()\s*['"][^'"]*(ledger-service\/src|runs-repository)/.test(text))
        offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it('no other package depends on the ledger-service package', async () => {
    const manifests = globSync(['libs/*/package.json', 'services/*/package.json', 'deploy/local/package.json'], { cwd: ROOT });
    const dependents: string[] = [];
    for (const manifest of manifests) {
      if (manifest.startsWith(LEDGER)) continue;
      const pkg = JSON.parse(await readFile(join(ROOT, manifest), 'utf8')) as { dependencies?: Record<string, string> };
      if (Object.keys(pkg.dependencies ?? {}).some((d) => d.includes('ledger-service')))
        dependents.push(relative(ROOT, join(ROOT, manifest)));
    }
    expect(dependents).toEqual([]);
  });

  it('the guard itself catches a write (self-check of the pattern)', () => {
    expect(WRITE_SQL.test('await em.execute("UPDATE operation_runs SET status = ?")')).toBe(true);
    expect(WRITE_SQL.test('INSERT INTO public.operation_runs (id) VALUES (1)')).toBe(true);
    expect(WRITE_SQL.test('SELECT * FROM operation_runs')).toBe(false);
  });
});
