import { type ParseArgsOptionDescriptor, parseArgs } from 'node:util';
import type { z } from 'zod';
import type { Context, OpenContext } from './context.ts';
import { describeFailure, usageError } from './errors.ts';

/**
 * The command framework: find the command from the leading words, parse its
 * options with node:util parseArgs (strict), validate them with the
 * command's zod schema, run it, print its output as one JSON document
 * (--json) or text. Exit codes (docs/cli.md): 0 ok, 1 handled error, 2 bad
 * arguments or configuration.
 */

/** What a command returns; the framework prints exactly one of the two. */
export interface Output {
  readonly json: unknown;
  readonly text: string;
}

export interface CommandSpec<S extends z.ZodType> {
  /** the words that select the command, e.g. ['tenants', 'list'] */
  readonly path: readonly string[];
  readonly summary: string;
  /** one line, e.g. 'opsctl runs show <run-id> --workspace <uuid> [--json]' */
  readonly usage: string;
  /** extra lines for `opsctl <command> --help` */
  readonly help?: string;
  /** the command's own options; --json and --help/-h are added to every command */
  readonly options?: Readonly<Record<string, ParseArgsOptionDescriptor>>;
  /** names of the positional arguments in order; they join the option values under these keys */
  readonly positionals?: readonly string[];
  /** validates { ...option values, ...named positionals } (unknown keys are stripped by z.object) */
  readonly schema: S;
  run(ctx: Context, args: z.output<S>): Promise<Output>;
}

export type Command = CommandSpec<z.ZodType>;

/** Keeps the schema ↔ run() typing at the definition; the registry holds the erased form. */
export function defineCommand<S extends z.ZodType>(spec: CommandSpec<S>): Command {
  return spec as unknown as Command;
}

export interface CliOptions {
  readonly argv: readonly string[];
  readonly commands: readonly Command[];
  /** opens the context (loads the configuration: may throw a CliError with exit code 2) */
  readonly open: (globals: { json: boolean }) => OpenContext;
  readonly io?: { out(text: string): void; err(text: string): void };
}

const GLOBAL_OPTIONS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Record<string, ParseArgsOptionDescriptor>;
const GLOBAL_FLAGS = new Set(['--json', '--help', '-h']);
const MAIN_USAGE = 'opsctl <command> [options] [--json]   (opsctl --help lists the commands)';

export async function runCli(options: CliOptions): Promise<number> {
  const io = options.io ?? { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  const { argv, commands } = options;
  try {
    const { words, rest } = splitWords(argv);
    const json = rest.includes('--json');
    if (words.length === 0) {
      const stray = rest.find((a) => !GLOBAL_FLAGS.has(a));
      if (stray !== undefined) throw usageError(`unknown option '${stray}'`, MAIN_USAGE);
      io.out(`${json ? JSON.stringify(listJson(commands)) : listText(commands)}\n`);
      return 0;
    }
    const command = findCommand(commands, words);
    if (!command) {
      // suggest the subcommands of a known group ("opsctl runs"), otherwise everything
      const group = commands.filter((c) => c.path[0] === words[0]);
      const valid = (group.length > 0 ? group : commands).map((c) => c.path.join(' ')).join(', ');
      throw usageError(`unknown command '${words.join(' ')}' — valid commands: ${valid}`, MAIN_USAGE);
    }
    const args = parse(command, [...words.slice(command.path.length), ...rest]);
    if (args.help) {
      io.out(`${commandHelp(command)}\n`);
      return 0;
    }
    const parsed = command.schema.safeParse(args.input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${displayName(command, i.path[0])}${i.message}`);
      throw usageError(problems.join('; '), command.usage);
    }
    const ctx = options.open({ json: args.json });
    let output: Output;
    try {
      output = await command.run(ctx, parsed.data);
    } finally {
      await ctx.close();
    }
    io.out(args.json ? `${JSON.stringify(output.json)}\n` : `${output.text.replace(/\n*$/, '')}\n`);
    return 0;
  } catch (err) {
    const failure = describeFailure(err);
    io.err(`opsctl: ${failure.message}\n${failure.usage === undefined ? '' : `usage: ${failure.usage}\n`}`);
    return failure.exitCode;
  }
}

/** Leading words (the command path and maybe positionals) until the first non-global option. */
function splitWords(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (GLOBAL_FLAGS.has(a)) rest.push(a);
    else if (a.startsWith('-')) break;
    else words.push(a);
  }
  return { words, rest: [...rest, ...argv.slice(i)] };
}

/** The longest command path that prefixes the words ('runs list' beats a future 'runs'). */
function findCommand(commands: readonly Command[], words: readonly string[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    const matches = c.path.length <= words.length && c.path.every((w, i) => words[i] === w);
    if (matches && (!best || c.path.length > best.path.length)) best = c;
  }
  return best;
}

function parse(command: Command, args: string[]): { json: boolean; help: boolean; input: Record<string, unknown> } {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { ...command.options, ...GLOBAL_OPTIONS },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    // parseArgs messages carry a long hint after the first sentence; keep the part that names the option
    const message = (err as Error).message.split(/\.\s/)[0]!.replace(/^\w/, (c) => c.toLowerCase());
    throw usageError(message, command.usage);
  }
  const { json, help, ...own } = values;
  const names = command.positionals ?? [];
  if (positionals.length > names.length && help !== true) {
    throw usageError(`unexpected argument '${positionals[names.length]}'`, command.usage);
  }
  const input: Record<string, unknown> = { ...own };
  names.forEach((name, i) => {
    if (positionals[i] !== undefined) input[name] = positionals[i];
  });
  return { json: json === true, help: help === true, input };
}

/** '--workspace: ' for an option, '<run-id>: ' for a positional, '' for a whole-object refinement. */
function displayName(command: Command, key: PropertyKey | undefined): string {
  if (typeof key !== 'string') return '';
  return command.positionals?.includes(key) ? `<${key}>: ` : `--${key}: `;
}

function commandHelp(command: Command): string {
  const lines = [`usage: ${command.usage}`, '', command.summary];
  if (command.help) lines.push('', command.help);
  lines.push('', 'global options: --json (one JSON document on stdout), -h/--help');
  return lines.join('\n');
}

function listText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return [
    'opsctl — operator CLI of the operations backbone',
    '',
    `usage: ${MAIN_USAGE}`,
    '',
    'commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'global options:',
    '  --json      print exactly one JSON document on stdout (logs go to stderr)',
    '  -h, --help  this list, or `opsctl <command> --help` for one command',
    '',
    'exit codes: 0 ok, 1 handled error, 2 bad arguments or configuration',
  ].join('\n');
}

function listJson(commands: readonly Command[]) {
  return { commands: commands.map((c) => ({ command: c.path.join(' '), summary: c.summary, usage: c.usage })) };
}
