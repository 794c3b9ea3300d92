import type { ActionV1 } from '@ops/contracts';
import { z } from 'zod';

/**
 * What every operator action asks for (issue #21): who acts and why. NATS
 * does not tell the ledger who asked, so these are the caller's assertion,
 * stored with the action (docs/security.md, "Operator actions").
 */
export const ACTION_OPTIONS = { actor: { type: 'string' }, reason: { type: 'string' } } as const;

const required = (what: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `is required (${what})` : 'must be text') })
    .trim()
    .min(1, `is required (${what})`)
    .max(max, `must be at most ${max} characters`);

export const actionArgs = {
  actor: required('who acts: your name or your tool', 200),
  reason: required('why: stored with the action and shown by `opsctl runs show`', 1000),
};

export const ACTION_HELP = '--actor and --reason are required and stored with the action (opsctl runs show lists them).';

/** `… by <actor> at <time>: <reason>` */
export function actionLine(action: ActionV1): string {
  return `recorded: ${action.action} by ${action.actor} at ${action.at}: ${action.reason}`;
}
