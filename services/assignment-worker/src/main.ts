import { runService } from '@ops/runtime';
import { startAssignmentWorker } from './app.ts';
import { loadWorkerConfig } from './config.ts';

// wiring only: config → logger → worker → ordered shutdown
await runService({
  name: 'assignment-worker',
  loadConfig: () => loadWorkerConfig(),
  // the Graph secret is removed verbatim from every logged error
  secrets: (config) => [config.GRAPH_CLIENT_SECRET],
  async start({ config, logger, lifecycle }) {
    const worker = await startAssignmentWorker({ config, logger });
    lifecycle.addStep('stop pulling, finish or release jobs', () => worker.stopIntake(), config.WORKER_SHUTDOWN_GRACE_MS + 10_000);
    lifecycle.addStep('drain nats, close orm, close http', () => worker.close());
  },
});
