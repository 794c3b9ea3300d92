import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * get_run: one run of one workspace.
 *
 * Inputs: `$run_id`, `$workspace_id`. Output: the run's row (RUN_COLUMNS), or
 * none — another workspace's run is as unknown as a missing one (tenant
 * isolation). Locks: none (a plain read).
 */
export const GET_RUN = statement<'run_id' | 'workspace_id', RunRow>(
  'get_run_v1',
  `SELECT ${RUN_COLUMNS} FROM operation_runs WHERE id = $run_id::uuid AND workspace_id = $workspace_id::uuid`,
);
