import { runService } from '@ops/runtime';
import { startLedgerService } from './app.ts';
import { loadLedgerConfig } from './config.ts';

// wiring only: config → logger → service → ordered shutdown
await runService({
  name: 'ledger-service',
  loadConfig: () => loadLedgerConfig(),
  async start({ config, logger, lifecycle }) {
    const service = await startLedgerService({ config, logger });
    lifecycle.addStep('stop intake', () => service.stopIntake());
    lifecycle.addStep('drain nats, close orm, close http', () => service.close());
  },
});
