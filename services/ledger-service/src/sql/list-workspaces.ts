import { statement } from './statement.ts';

/** list_workspaces: every workspace, by slug. No inputs; no locks. */
export const LIST_WORKSPACES = statement<never, { id: string; slug: string }>(
  'list_workspaces_v1',
  'SELECT id, slug FROM workspaces ORDER BY slug',
);
