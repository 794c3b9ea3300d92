import type { Command } from '../cli.ts';
import { tenantsList } from './tenants-list.ts';

/**
 * Every opsctl command, in the order `opsctl --help` lists them. A new
 * command is one file in this folder (defineCommand) and one line here.
 */
export const COMMANDS: readonly Command[] = [
  tenantsList,
];
