import type { MigrationObject } from '@mikro-orm/core';
import { Migration001Initial } from './001-initial.ts';
import { Migration002Roles } from './002-roles.ts';
import { Migration003AssignmentSnapshots } from './003-assignment-snapshots.ts';
import { Migration004SnapshotAttempt } from './004-snapshot-attempt.ts';
import { Migration005ClosedByHeal } from './005-closed-by-heal.ts';
import { Migration006JobGeneration } from './006-job-generation.ts';
import { Migration007OperatorActions } from './007-operator-actions.ts';
import { Migration008RunTimeline } from './008-run-timeline.ts';

/** Every migration, in order. Explicit (no folder scan): works the same from sources and in images. */
export const MIGRATIONS: MigrationObject[] = [
  { name: '001-initial', class: Migration001Initial },
  { name: '002-roles', class: Migration002Roles },
  { name: '003-assignment-snapshots', class: Migration003AssignmentSnapshots },
  { name: '004-snapshot-attempt', class: Migration004SnapshotAttempt },
  { name: '005-closed-by-heal', class: Migration005ClosedByHeal },
  { name: '006-job-generation', class: Migration006JobGeneration },
  { name: '007-operator-actions', class: Migration007OperatorActions },
  { name: '008-run-timeline', class: Migration008RunTimeline },
];
