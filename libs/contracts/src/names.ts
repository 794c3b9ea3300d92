/**
 * Every NATS name the system uses, in one place. A prefix (config key
 * NATS_PREFIX) is applied to all of them so several environments or test
 * files can share one NATS server without colliding.
 */
export const BASE_NAMES = {
  streams: { jobs: 'OPS_JOBS', ledger: 'OPS_LEDGER', dlq: 'OPS_DLQ' },
  kv: { locks: 'ops_locks' },
  subjects: {
    jobs: 'ops.jobs',
    ledgerEvents: 'ops.ledger.events',
    ledgerApi: 'ops.ledger.api',
    ledgerAdmin: 'ops.ledger.admin',
    dlq: 'ops.dlq',
    housekeepingApi: 'ops.housekeeping',
  },
  consumers: { ledgerEvents: 'ledger-events', assignmentWorker: 'assignment-worker' },
  services: { ledger: 'ops_ledger', housekeeping: 'ops_housekeeping' },
} as const;

export const LEDGER_API_ENDPOINTS = [
  'ensure_run',
  'get_run',
  'get_run_timeline',
  'list_runs',
  'record_duplicate',
  'list_workspaces',
  'list_active_runs',
  'republish_job',
] as const;
export type LedgerApiEndpoint = (typeof LEDGER_API_ENDPOINTS)[number];

/**
 * The operator actions (issue #21): their own subject group, `ops.ledger.admin.*`,
 * which only the operator NATS user may call (deploy/nats/permissions.ts) —
 * the read-only opsctl user keeps the read endpoints of `ops.ledger.api`.
 */
export const LEDGER_ADMIN_ENDPOINTS = ['cancel_run', 'rerun_run', 'redrive_dead_letter', 'purge_dead_letter', 'release_lock'] as const;
export type LedgerAdminEndpoint = (typeof LEDGER_ADMIN_ENDPOINTS)[number];

export const LEDGER_EVENT_KINDS = ['started', 'progress', 'completed'] as const;
export type LedgerEventKind = (typeof LEDGER_EVENT_KINDS)[number];

/** Origins of dead letters: `ops.dlq.<origin>`. */
export const DLQ_ORIGINS = ['ledger', 'assignment-worker', 'housekeeping'] as const;
export type DlqOrigin = (typeof DLQ_ORIGINS)[number];

const PREFIX_RE = /^[A-Za-z0-9_-]{0,32}$/;

export interface Names {
  readonly prefix: string;
  readonly streams: { readonly jobs: string; readonly ledger: string; readonly dlq: string };
  readonly kv: { readonly locks: string };
  readonly consumers: { readonly ledgerEvents: string; readonly assignmentWorker: string };
  readonly services: { readonly ledger: string; readonly housekeeping: string };
  /** `ops.jobs.<type>` */
  jobSubject(type: string): string;
  /** every job subject: `ops.jobs.>` */
  readonly jobsWildcard: string;
  /** `ops.ledger.events.<kind>` */
  ledgerEventSubject(kind: LedgerEventKind): string;
  readonly ledgerEventsWildcard: string;
  /** `ops.ledger.api` — the micro service's endpoint group */
  readonly ledgerApiGroup: string;
  ledgerApiSubject(endpoint: LedgerApiEndpoint): string;
  /** `ops.ledger.admin` — the operator actions' endpoint group */
  readonly ledgerAdminGroup: string;
  ledgerAdminSubject(endpoint: LedgerAdminEndpoint): string;
  /** `ops.housekeeping` — the housekeeping micro service's group (endpoint `run`) */
  readonly housekeepingApiGroup: string;
  readonly housekeepingRunSubject: string;
  /** `ops.dlq.<origin>` */
  dlqSubject(origin: DlqOrigin): string;
  readonly dlqWildcard: string;
}

/**
 * Builds the prefixed names. The prefix is one subject token, so it may only
 * hold characters valid in stream, bucket and service names as well.
 */
export function createNames(prefix = ''): Names {
  if (!PREFIX_RE.test(prefix)) {
    throw new Error('NATS prefix must match [A-Za-z0-9_-]{0,32}');
  }
  const sub = (s: string) => (prefix ? `${prefix}.${s}` : s);
  const name = (s: string) => (prefix ? `${prefix}_${s}` : s);
  const b = BASE_NAMES;
  return Object.freeze({
    prefix,
    streams: Object.freeze({ jobs: name(b.streams.jobs), ledger: name(b.streams.ledger), dlq: name(b.streams.dlq) }),
    kv: Object.freeze({ locks: name(b.kv.locks) }),
    consumers: Object.freeze({
      ledgerEvents: name(b.consumers.ledgerEvents),
      assignmentWorker: name(b.consumers.assignmentWorker),
    }),
    services: Object.freeze({ ledger: name(b.services.ledger), housekeeping: name(b.services.housekeeping) }),
    jobSubject: (type: string) => sub(`${b.subjects.jobs}.${type}`),
    jobsWildcard: sub(`${b.subjects.jobs}.>`),
    ledgerEventSubject: (kind: LedgerEventKind) => sub(`${b.subjects.ledgerEvents}.${kind}`),
    ledgerEventsWildcard: sub(`${b.subjects.ledgerEvents}.>`),
    ledgerApiGroup: sub(b.subjects.ledgerApi),
    ledgerApiSubject: (endpoint: LedgerApiEndpoint) => sub(`${b.subjects.ledgerApi}.${endpoint}`),
    ledgerAdminGroup: sub(b.subjects.ledgerAdmin),
    ledgerAdminSubject: (endpoint: LedgerAdminEndpoint) => sub(`${b.subjects.ledgerAdmin}.${endpoint}`),
    housekeepingApiGroup: sub(b.subjects.housekeepingApi),
    housekeepingRunSubject: sub(`${b.subjects.housekeepingApi}.run`),
    dlqSubject: (origin: DlqOrigin) => sub(`${b.subjects.dlq}.${origin}`),
    dlqWildcard: sub(`${b.subjects.dlq}.>`),
  });
}

/** Message headers the system sets, beyond NATS' own `Nats-Msg-Id`. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  dlqReason: 'Ops-Dlq-Reason',
  dlqDetail: 'Ops-Dlq-Detail',
  dlqOriginSubject: 'Ops-Dlq-Origin-Subject',
  dlqOriginStream: 'Ops-Dlq-Origin-Stream',
  dlqOriginSeq: 'Ops-Dlq-Origin-Seq',
  dlqTruncated: 'Ops-Dlq-Truncated',
  dlqReceivedAt: 'Ops-Dlq-Received-At',
  /** on a job: how many times the ledger published this run's job, this one included (1: the original) */
  jobGeneration: 'Ops-Job-Generation',
  /** on a redriven dead letter: the OPS_DLQ sequence it was redriven from (`opsctl dlq redrive`) */
  redrivenFrom: 'Ops-Redriven-From',
} as const;
