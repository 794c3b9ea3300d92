import { sanitizeMessage } from '@ops/contracts';
import { createLogger } from '@ops/logging';
import { runService } from '@ops/runtime';
import { startLedgerService } from './app.ts';
import { loadLedgerConfig } from './config.ts';

// wiring only: config → logger → service → ordered shutdown
await runService({
  name: 'ledger-service',
  loadConfig: () => loadLedgerConfig(),
  createLogger: (config) =>
    createLogger({ service: 'ledger-service', level: config.LOG_LEVEL, scrub: (t) => sanitizeMessage(t, { maxLength: 2000 }) }),
  async start({ config, logger, lifecycle }) {
    const service = await startLedgerService({ config, logger });
    lifecycle.addStep('stop intake', () => service.stopIntake());
    lifecycle.addStep('drain nats, close orm, close http', () => service.close());
  },
});
