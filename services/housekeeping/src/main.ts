import { runService } from '@ops/runtime';
import { startHousekeeping } from './app.ts';
import { loadHousekeepingConfig } from './config.ts';

// wiring only: config → logger → scheduler + on-demand API → ordered shutdown
await runService({
  name: 'housekeeping',
  loadConfig: () => loadHousekeepingConfig(),
  async start({ config, logger, lifecycle }) {
    const housekeeping = await startHousekeeping({ config, logger });
    lifecycle.addStep('stop schedule and API, finish the running reconcile', () => housekeeping.stopIntake(), 60_000);
    lifecycle.addStep('drain nats, close http', () => housekeeping.close());
  },
});
