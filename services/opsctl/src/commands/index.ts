import type { Command } from '../cli.ts';
import { demo } from './demo.ts';
import { dispatch } from './dispatch.ts';
import { dlqList } from './dlq-list.ts';
import { dlqPurge } from './dlq-purge.ts';
import { dlqRedrive } from './dlq-redrive.ts';
import { housekeepingRun } from './housekeeping-run.ts';
import { locksList } from './locks-list.ts';
import { locksRelease } from './locks-release.ts';
import { runsCancel } from './runs-cancel.ts';
import { runsList } from './runs-list.ts';
import { runsRerun } from './runs-rerun.ts';
import { runsShow } from './runs-show.ts';
import { runsWait } from './runs-wait.ts';
import { tenantsList } from './tenants-list.ts';

/**
 * Every opsctl command, in the order `opsctl --help` lists them. A new
 * command is one file in this folder (defineCommand) and one line here.
 */
export const COMMANDS: readonly Command[] = [
  tenantsList,
  dispatch,
  runsShow,
  runsList,
  runsWait,
  runsCancel,
  runsRerun,
  locksList,
  locksRelease,
  dlqList,
  dlqRedrive,
  dlqPurge,
  housekeepingRun,
  demo,
];
