import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeKeys } from '@ops/config';
import { describe, expect, it } from 'vitest';
import { localConfigSchema } from '../deploy/local/src/config.ts';
import { workerConfigSchema } from '../services/assignment-worker/src/config.ts';
import { fakeGraphConfigSchema } from '../services/fake-graph/src/config.ts';
import { housekeepingConfigSchema } from '../services/housekeeping/src/config.ts';
import { ledgerConfigSchema } from '../services/ledger-service/src/config.ts';
import { seedConfigSchema } from '../services/ledger-service/src/seed/config.ts';
import { opsctlConfigSchema } from '../services/opsctl/src/config.ts';
import { ROOT } from './support/process.ts';

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
