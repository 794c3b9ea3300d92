import { sanitizeMessage } from '@ops/contracts';
import { createLogger } from '@ops/logging';
import { createLifecycle, installSignalHandlers } from '@ops/runtime';
import { startLedgerService } from './app.ts';
import { loadLedgerConfig } from './config.ts';

// wiring only: config → logger → service → ordered shutdown
const config = loadLedgerConfig();
const logger = createLogger({ service: 'ledger-service', level: config.LOG_LEVEL, scrub: (t) => sanitizeMessage(t, { maxLength: 2000 }) });
const lifecycle = createLifecycle(logger);
installSignalHandlers(lifecycle, logger);

try {
  const service = await startLedgerService({ config, logger });
  lifecycle.addStep('stop intake', () => service.stopIntake());
  lifecycle.addStep('drain nats, close orm, close http', () => service.close());
} catch (err) {
  logger.fatal({ err }, 'ledger-service failed to start');
  logger.flush();
  process.exit(1);
}
