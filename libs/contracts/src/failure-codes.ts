/**
 * The failure-code registry: the only codes a run's failure_summary may carry.
 * Codes are stable (operators search and alert on them); the text is the
 * default operator message when nothing more specific (and safe) is known.
 */
export const FAILURE_CODES = {
  'graph.throttled': 'Microsoft Graph throttled the request (429) and retries were exhausted',
  'graph.forbidden': 'Microsoft Graph refused access (401/403): check the app registration and consent',
  'graph.not_found': 'Microsoft Graph did not find the policy or its assignments (404)',
  'graph.unavailable': 'Microsoft Graph was unavailable (5xx)',
  'graph.timeout': 'Microsoft Graph did not answer in time',
  'graph.auth_failed': 'Could not obtain a Microsoft Graph token',
  'graph.bad_response': 'Microsoft Graph answered with an unexpected body',
  'snapshot.missing': 'No fetched snapshot exists for the policy to restore from',
  'run.stale': 'The run stopped reporting (its worker vanished) and was closed by housekeeping',
  'run.lost': 'The run was queued but its job was lost and could not be rebuilt',
  'run.attempts_exhausted': 'The run failed on every allowed attempt',
  'run.internal': 'The run failed on an unexpected internal error',
  'run.skipped_cooldown': 'Skipped: the same job identity completed less than the cooldown ago',
  'run.cancelled': "An operator cancelled the run (opsctl runs cancel): see the run's audit for who and why",
  'run.lease_conflict': 'Another run of the same job identity held the execution lease until attempts ran out',
  'ops.reconcile_adapter_runs.failed': 'The reconcile-adapter-runs housekeeping job failed',
} as const;

export type FailureCode = keyof typeof FAILURE_CODES;
export const FAILURE_CODE_LIST = Object.keys(FAILURE_CODES) as FailureCode[];

/** Upper bounds that keep failure summaries readable and rows small. */
export const FAILURE_LIMITS = { maxEntries: 20, maxMessageLength: 500 } as const;
