import { runCli } from './cli.ts';
import { COMMANDS } from './commands/index.ts';
import { loadOpsctlConfig } from './config.ts';
import { openContext } from './context.ts';

// wiring only: argv → command registry → context (configuration read only when a command runs)
const code = await runCli({
  argv: process.argv.slice(2),
  commands: COMMANDS,
  open: (globals) => openContext(loadOpsctlConfig(), globals),
});
// exit once stdout has drained, so a pipe gets all of it and no stray handle keeps the CLI alive
process.stdout.write('', () => process.exit(code));
