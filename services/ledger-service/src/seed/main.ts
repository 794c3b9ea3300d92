import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@ops/config';
import { sanitizeMessage } from '@ops/contracts';
import { createOrm, describeDatabase, ensureDatabaseExists, migrate } from '@ops/db';
import { z } from 'zod';
import { seedConfigSchema } from './config.ts';
import { dropAllTables, isEmpty, type SeedReport, seedData } from './seed-data.ts';

/**
 * The seed job (its own entrypoint and, in deploy/, its own Job/container):
 * create the database if missing, apply migrations (`--fresh` drops every
 * table first), then the idempotent seed. `--if-empty` seeds only a database
 * without workspaces (used by `pnpm start`).
 *
 *   pnpm seed [--fresh [--force]] [--if-empty] [--json]
 *
 * Exit codes: 0 done, 1 failed (message on stderr), 2 bad arguments/config.
 */
const argsSchema = z
  .object({ fresh: z.boolean(), force: z.boolean(), json: z.boolean(), 'if-empty': z.boolean() })
  .refine((a) => !(a.fresh && a['if-empty']), { message: '--fresh and --if-empty exclude each other' });

function usage(message: string): never {
  process.stderr.write(`seed: ${message}\nusage: pnpm seed [--fresh [--force]] [--if-empty] [--json]\n`);
  process.exit(2);
}

let args: z.infer<typeof argsSchema>;
try {
  const { values } = parseArgs({
    options: {
      fresh: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'if-empty': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) usage(parsed.error.issues.map((i) => i.message).join('; '));
  args = parsed.data;
} catch (err) {
  usage((err as Error).message);
}

let config: z.infer<typeof seedConfigSchema>;
try {
  config = loadConfig(seedConfigSchema);
} catch (err) {
  if (err instanceof ConfigError) usage(err.message);
  throw err;
}

if (args.fresh && config.NODE_ENV === 'production' && !args.force) {
  process.stderr.write('seed: --fresh drops every table; refused with NODE_ENV=production (add --force if you mean it)\n');
  process.exit(2);
}

const where = describeDatabase(config.DATABASE_URL);
try {
  const databaseCreated = await ensureDatabaseExists(config.DATABASE_URL);
  const orm = await createOrm({ url: config.DATABASE_URL, poolMax: 2, applicationName: 'seed' });
  try {
    const dropped = args.fresh ? await dropAllTables(orm) : [];
    const migrations = await migrate(orm);
    const skip = args['if-empty'] && !(await isEmpty(orm));
    const report: SeedReport | null = skip
      ? null
      : await seedData(orm, {
          workspaceSlug: config.SEED_WORKSPACE_SLUG,
          tenants: config.SEED_TENANTS,
          policiesPerTenant: config.SEED_POLICIES_PER_TENANT,
        });
    const out = {
      database: where,
      database_created: databaseCreated,
      fresh: args.fresh,
      tables_dropped: dropped.length,
      migrations_applied: migrations,
      seeded: report !== null,
      ...(report ?? {}),
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      printHuman(out, report);
    }
  } finally {
    await orm.close();
  }
} catch (err) {
  process.stderr.write(`seed: failed against ${where}: ${sanitizeMessage(err, { maxLength: 400 })}\n`);
  process.exit(1);
}

function printHuman(out: { database: string; fresh: boolean; migrations_applied: string[]; seeded: boolean }, report: SeedReport | null) {
  const lines = [`database ${out.database}${out.fresh ? ' (fresh: every table dropped first)' : ''}`];
  lines.push(`migrations applied: ${out.migrations_applied.length ? out.migrations_applied.join(', ') : 'none pending'}`);
  if (!report) {
    lines.push('seed skipped: the database already has data (--if-empty)');
  } else {
    const w = report.workspace;
    lines.push(`workspace ${w.slug} ${w.id} ${w.created ? 'created' : 'exists'}`);
    for (const t of report.tenants) {
      lines.push(
        `  tenant ${t.slug.padEnd(10)} ${t.id}  external_id ${t.external_id}  ${t.created ? 'created' : 'exists '}  +${t.policies_created} policies  ${t.name}`,
      );
    }
    const c = report.created;
    lines.push(`created: ${c.workspaces} workspace(s), ${c.tenants} tenant(s), ${c.policies} policy(ies)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
