import { DB_ROLES } from '@ops/db';
import { captureLogger, testEnv, useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { startLedgerService } from '../src/app.ts';
import { ledgerConfigSchema } from '../src/config.ts';

/**
 * The locks bucket's TTL is the execution-side cooldown. Its default is the
 * catalog's longest cooldown (the one home of the 15 minutes); an override,
 * or a bucket that already exists with another TTL, is warned about at start.
 */
const h = useLedgerHarness({ LOCKS_TTL_SECONDS: '3' });
const warnings = (lines: string[]) =>
  lines.map((l) => JSON.parse(l) as { level: string; msg: string; [k: string]: unknown }).filter((l) => l.level === 'warn');

describe('the locks bucket TTL at start', () => {
  it('a LOCKS_TTL_SECONDS other than the longest cooldown is warned about, with both values', () => {
    const warning = warnings(h.logLines).find((l) => l.msg.startsWith('LOCKS_TTL_SECONDS differs from the longest cooldown'));
    expect(warning).toMatchObject({ configuredSeconds: 3, cooldownSeconds: 900 });
  });

  it('the default is the longest cooldown (900 s), and an existing bucket with another TTL is kept and warned about', async () => {
    const config = ledgerConfigSchema.parse({
      NATS_URL: testEnv.NATS_URL.join(','),
      DATABASE_URL: h.db.urlAs(DB_ROLES.ledger),
      NATS_PREFIX: h.names.prefix,
      HTTP_PORT: '0',
    });
    expect(config.LOCKS_TTL_SECONDS).toBe(900);
    const { logger, lines } = captureLogger('ledger-service');
    const second = await startLedgerService({ config, logger });
    try {
      const msgs = warnings(lines).map((l) => l.msg);
      expect(msgs.some((m) => m.startsWith('LOCKS_TTL_SECONDS differs'))).toBe(false);
      expect(warnings(lines).find((l) => l.msg.startsWith('the existing ops_locks bucket has another TTL'))).toMatchObject({
        bucketTtlSeconds: 3,
        configuredSeconds: 900,
      });
    } finally {
      await second.stopIntake();
      await second.close();
    }
  });
});
