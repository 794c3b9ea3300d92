import { runService } from '@ops/runtime';
import { startConsole } from './app.ts';
import { type ConsoleConfig, loadConsoleConfig } from './config.ts';

/**
 * A bad configuration is exit 2 (like opsctl's), naming every bad key and
 * never its value; runService would exit 1, so the console loads it first.
 */
function configOrExit(): Readonly<ConsoleConfig> {
  try {
    return loadConsoleConfig();
  } catch (err) {
    process.stderr.write(`console: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

const config = configOrExit();

// wiring only: config → logger → NATS + HTTP → ordered shutdown
await runService({
  name: 'console',
  loadConfig: () => config,
  // the operator token is removed verbatim from every log line, wherever it would appear
  secrets: (c) => (c.CONSOLE_TOKEN === '' ? [] : [c.CONSOLE_TOKEN]),
  async start({ config, logger, lifecycle }) {
    const console = await startConsole({ config, logger });
    lifecycle.addStep('close live views and http, drain nats', () => console.close());
  },
});
