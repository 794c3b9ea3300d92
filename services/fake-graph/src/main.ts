import { runService } from '@ops/runtime';
import { loadFakeGraphConfig } from './config.ts';
import { startFakeGraph } from './server.ts';

// wiring only: config → logger → server → shutdown
await runService({
  name: 'fake-graph',
  loadConfig: () => loadFakeGraphConfig(),
  async start({ config, logger, lifecycle }) {
    const fake = await startFakeGraph({
      port: config.FAKE_GRAPH_PORT,
      host: config.FAKE_GRAPH_HOST,
      clientId: config.FAKE_GRAPH_CLIENT_ID,
      clientSecret: config.FAKE_GRAPH_CLIENT_SECRET,
      pageSize: config.FAKE_GRAPH_PAGE_SIZE,
      faults: config.FAKE_GRAPH_LATENCY_MS > 0 ? { latencyMs: config.FAKE_GRAPH_LATENCY_MS } : {},
      logger,
    });
    lifecycle.addStep('close http', () => fake.close());
  },
});
