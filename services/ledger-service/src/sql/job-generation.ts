import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * The generation of the job the ledger stored for a run (issue #18):
 * `operation_runs.job_generation`, 0 while no job of the run is stored.
 */

/**
 * After a publish: the generation JetStream stored, or 0 when it did not.
 *
 * Inputs: `$run_id`, `$generation`. Output: none. Locks: the row. Race: a
 * housekeeping re-publish (NEXT_JOB_GENERATION) between the publish and this
 * write is overwritten with a lower number — harmless: the number only says
 * whether the worker may skip get_run, and a re-published job carries its
 * own generation in its header.
 */
export const SET_JOB_GENERATION = statement<'run_id' | 'generation'>(
  'set_job_generation_v1',
  'UPDATE operation_runs SET job_generation = $generation::integer WHERE id = $run_id::uuid',
);

/**
 * Housekeeping's re-publish (`republish_job`): the next generation of a
 * queued, tenant-scoped run's job.
 *
 * Inputs: `$run_id`, `$workspace_id`, `$now`. Output: the run's row with its
 * new generation, or none when the run is not queued (it moved on: nothing
 * to publish) or not in this workspace. Locks: the row. Race: a run that
 * starts or completes meanwhile is no longer `queued` when the UPDATE gets
 * the row lock (the condition is checked again on the new version), so a
 * moved-on run never gets a job again.
 */
export const NEXT_JOB_GENERATION = statement<'run_id' | 'workspace_id' | 'now', RunRow>(
  'next_job_generation_v1',
  `UPDATE operation_runs SET job_generation = job_generation + 1, updated_at = $now::timestamptz
    WHERE id = $run_id::uuid AND workspace_id = $workspace_id::uuid AND status = 'queued' AND tenant_id IS NOT NULL
   RETURNING ${RUN_COLUMNS}`,
);
