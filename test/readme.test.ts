import { existsSync, globSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { workerConfigSchema } from '@ops/assignment-worker/config';
import { describeKeys } from '@ops/config';
import { consoleConfigSchema } from '@ops/console/config';
import { fakeGraphConfigSchema } from '@ops/fake-graph/config';
import { housekeepingConfigSchema } from '@ops/housekeeping/config';
import { ledgerConfigSchema } from '@ops/ledger-service/config';
import { seedConfigSchema } from '@ops/ledger-service/seed-config';
import { localConfigSchema } from '@ops/local-stack/config';
import { opsctlConfigSchema } from '@ops/opsctl/config';
import { ROOT } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The README's configuration table is the operators' reference: every key
 * any process reads must be in it, with the default the schema really has.
 */
const schemas = {
  ledgerConfigSchema,
  seedConfigSchema,
  opsctlConfigSchema,
  localConfigSchema,
  workerConfigSchema,
  fakeGraphConfigSchema,
  housekeepingConfigSchema,
  consoleConfigSchema,
};

describe('README configuration table', () => {
  it('lists every configuration key with its real default', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const rows = new Map([...readme.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]*) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
    const missing: string[] = [];
    const wrongDefault: string[] = [];
    for (const [schemaName, schema] of Object.entries(schemas)) {
      for (const { key, default: def } of describeKeys(schema)) {
        const row = rows.get(key);
        if (row === undefined) {
          missing.push(`${schemaName}.${key}`);
          continue;
        }
        const shown = row === 'empty' ? '' : row.replace(/^`|`.*$/g, '');
        // keys whose default is derived (e.g. from DATABASE_URL) show prose instead of a value
        if (def !== '' && shown !== def && !row.includes(def)) wrongDefault.push(`${key}: README ${row}, schema ${def}`);
      }
    }
    expect(missing).toEqual([]);
    expect(wrongDefault).toEqual([]);
  });
});

/**
 * The docs resolve inside the repository: a reader of a clean clone can open
 * every relative link of README.md and docs/*.md, and every requirement id a
 * source cites (FR-003, SC-001, T033, O-5, INV-4) is defined in docs/requirements.md.
 */
/** the external brief's directory, spelled so that this file does not contain it */
const OUTSIDE_BRIEF = ['shared', 'brief'].join('/');

describe('docs resolve inside the repository', () => {
  const docs = ['README.md', ...globSync('docs/*.md', { cwd: ROOT })];
  const sources = globSync(['libs/**/*.ts', 'services/**/*.ts', 'deploy/**/*.ts', 'test/**/*.ts', 'docs/*.md', 'README.md'], {
    cwd: ROOT,
    exclude: (f) => f.includes('node_modules'),
  });

  it('every relative Markdown link of README.md and docs/ points to a file of the repository', async () => {
    const broken: string[] = [];
    for (const doc of docs) {
      const text = await readFile(join(ROOT, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(ROOT, dirname(doc), target))) broken.push(`${doc} → ${target}`);
      }
    }
    expect(docs).toContain('docs/requirements.md');
    expect(docs).toContain('docs/cli.md');
    expect(broken).toEqual([]);
  });

  it('no source or doc points outside the repository for its requirements or contracts', async () => {
    const outside: string[] = [];
    for (const file of sources) {
      if ((await readFile(join(ROOT, file), 'utf8')).includes(OUTSIDE_BRIEF)) outside.push(file);
    }
    expect(outside).toEqual([]);
  });

  it('every requirement id cited in code or docs is defined in docs/requirements.md', async () => {
    const requirements = await readFile(join(ROOT, 'docs/requirements.md'), 'utf8');
    const defined = new Set(
      [...requirements.matchAll(/^(?:#+\s*|[-*]\s+)?\**`?((?:FR|SC)-\d{3}[a-z]?|T\d{3}|O-\d+|INV-\d+)\b/gm)].map((m) => m[1]!),
    );
    const undefinedIds: string[] = [];
    for (const file of sources) {
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/\b((?:FR|SC)-\d{3}[a-z]?|T0\d{2}|INV-\d+)\b/g)) {
        if (!defined.has(m[1]!)) undefinedIds.push(`${file}: ${m[1]}`);
      }
    }
    expect(defined.size).toBeGreaterThan(20);
    expect([...new Set(undefinedIds)]).toEqual([]);
  });
});
