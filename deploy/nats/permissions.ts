import { createNames, LEDGER_ADMIN_ENDPOINTS, type Names } from '@ops/contracts';

/**
 * The NATS permission matrix: one user per process, each allowed only what
 * its code does (docs/security.md explains every line). This file is the
 * single source: `node deploy/nats/render.ts > deploy/nats/auth.conf`
 * renders the server config that compose and Kubernetes mount, and
 * deploy/nats/test/permissions.test.ts proves the rendered file against a
 * real nats-server — the allowed operations by running the services as these
 * users, the denied ones below by trying them.
 *
 * Written for the subjects of an empty NATS_PREFIX (one environment per
 * NATS account or server in production); pass other names to render a
 * prefixed variant.
 */
export interface UserPermissions {
  /** password comes from this environment variable of the nats-server process (a Secret) */
  readonly passwordEnv: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** may reply to requests it received (micro service responders) */
  readonly allowResponses: boolean;
  /** what the matrix promises this user cannot do: the test tries each one */
  readonly denied: { readonly publish: readonly string[]; readonly subscribe: readonly string[] };
}

export const NATS_USERS = ['ledger', 'worker', 'housekeeping', 'opsctl', 'operator', 'console'] as const;
export type NatsUser = (typeof NATS_USERS)[number];

const API = '$JS.API';

/** every JetStream client asks for account info first (jetstreamManager's API check) */
const jsBase = [`${API}.INFO`];
const streamInfo = (stream: string) => [`${API}.STREAM.INFO.${stream}`];
const ownStream = (stream: string) => [`${API}.STREAM.CREATE.${stream}`, `${API}.STREAM.UPDATE.${stream}`, ...streamInfo(stream)];
/** durable pull consumer: create/update (2.9 and 2.10 subject forms), info, pull, ack */
const durableConsumer = (stream: string, durable: string) => [
  `${API}.CONSUMER.CREATE.${stream}.${durable}`,
  `${API}.CONSUMER.CREATE.${stream}.${durable}.>`,
  `${API}.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
  `${API}.CONSUMER.INFO.${stream}.${durable}`,
  `${API}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
  `$JS.ACK.${stream}.${durable}.>`,
];
/**
 * KV reads: bucket info and leader reads (`STREAM.MSG.GET`). No `DIRECT.GET`:
 * the locks bucket has direct gets off and every lease read goes to the
 * stream leader (docs/architecture.md, "Leader reads for leases").
 */
const kvRead = (bucket: string) => [...streamInfo(`KV_${bucket}`), `${API}.STREAM.MSG.GET.KV_${bucket}`];
/** the subject of a direct get of one key (what nats.js sends when a stream allows direct gets): denied to every reader */
const kvDirectGet = (bucket: string) => `${API}.DIRECT.GET.KV_${bucket}.$KV.${bucket}.k`;
const kvWrite = (bucket: string) => [`$KV.${bucket}.>`];
/** listing keys: kv.keys() runs an ephemeral ordered consumer */
const kvList = (bucket: string) => [
  `${API}.CONSUMER.CREATE.KV_${bucket}`,
  `${API}.CONSUMER.CREATE.KV_${bucket}.>`,
  `${API}.CONSUMER.DELETE.KV_${bucket}.>`,
];
/** how far the ledger applied OPS_LEDGER: its event consumer's info (ack floor), read-only */
const ledgerProgress = (stream: string, consumer: string) => [`${API}.CONSUMER.INFO.${stream}.${consumer}`];
/** a micro service answers discovery (`nats micro ls|info|stats`) */
const microService = (service: string) => [`$SRV.*`, `$SRV.*.${service}`, `$SRV.*.${service}.>`];
const inbox = (user: string) => [`_INBOX.${user}.>`];

export function natsPermissions(names: Names = createNames('')): Record<NatsUser, UserPermissions> {
  const { streams, kv, consumers, services } = names;
  const assignmentJobs = names.jobSubject('assignments.>');
  /** read-only inspection (opsctl and `nats stream|consumer|kv|micro` as opsctl or operator) */
  const inspect = [
    ...jsBase,
    `${API}.STREAM.NAMES`,
    `${API}.STREAM.LIST`,
    `${API}.STREAM.INFO.*`,
    `${API}.CONSUMER.NAMES.*`,
    `${API}.CONSUMER.LIST.*`,
    `${API}.CONSUMER.INFO.*.*`,
    `${API}.STREAM.MSG.GET.${streams.dlq}`,
    ...kvRead(kv.locks),
    ...kvList(kv.locks),
    '$SRV.>',
  ];
  /**
   * Someone acting (issue #21): what opsctl may, plus the actions of ops.ledger.admin.* — which
   * the ledger carries out and records; none of their effects by hand (no job, event, lease write
   * or message delete), so no action can bypass its record.
   */
  const acting = (passwordEnv: string, user: string): UserPermissions => ({
    passwordEnv,
    publish: [...inspect, ...operatorReads, names.housekeepingRunSubject, `${names.ledgerAdminGroup}.>`],
    subscribe: [...inbox(user)],
    allowResponses: false,
    denied: {
      publish: [
        names.jobSubject('assignments.fetch'),
        names.ledgerEventSubject('completed'),
        `$KV.${kv.locks}.x`,
        `${API}.STREAM.MSG.DELETE.${streams.dlq}`,
        `${API}.STREAM.MSG.DELETE.${streams.jobs}`,
        `${API}.STREAM.PURGE.${streams.dlq}`,
        `${API}.CONSUMER.MSG.NEXT.${streams.jobs}.${consumers.assignmentWorker}`,
        names.ledgerApiSubject('record_duplicate'),
        names.ledgerApiSubject('republish_job'),
      ],
      subscribe: [`${names.ledgerAdminGroup}.>`, names.jobsWildcard, '_INBOX.opsctl.>'],
    },
  });
  /** the ledger's read endpoints, and dispatch (ensure_run: idempotent, dedupe and cooldown apply) */
  const operatorReads = (['get_run', 'list_runs', 'get_run_timeline', 'list_workspaces', 'list_active_runs', 'ensure_run'] as const).map(
    (e) => names.ledgerApiSubject(e),
  );
  return {
    ledger: {
      passwordEnv: 'NATS_PASSWORD_LEDGER',
      publish: [
        ...jsBase,
        // the ledger owns the topology: streams and the locks bucket's stream
        ...[streams.jobs, streams.ledger, streams.dlq, `KV_${kv.locks}`].flatMap(ownStream),
        ...durableConsumer(streams.ledger, consumers.ledgerEvents),
        names.dlqSubject('ledger'),
        // the only publisher of jobs (issue #18): it publishes a run's job once the row is committed
        assignmentJobs,
        // a re-publish asks whether the worker consumer delivered past the original, and deletes a lost one (handlers/jobs.ts)
        `${API}.CONSUMER.INFO.${streams.jobs}.${consumers.assignmentWorker}`,
        // … and a cancel deletes a queued run's job (issue #21)
        `${API}.STREAM.MSG.DELETE.${streams.jobs}`,
        // operator actions (issue #21): a cancel's marker and a lock release on the locks bucket …
        ...kvRead(kv.locks),
        ...kvWrite(kv.locks),
        // … a dead letter read, redriven to its origin (a job, above, or a ledger event) and removed
        `${API}.STREAM.MSG.GET.${streams.dlq}`,
        `${API}.STREAM.MSG.DELETE.${streams.dlq}`,
        names.ledgerEventsWildcard,
      ],
      subscribe: [`${names.ledgerApiGroup}.>`, `${names.ledgerAdminGroup}.>`, ...microService(services.ledger), ...inbox('ledger')],
      allowResponses: true,
      denied: {
        publish: [
          names.jobSubject('ops.reconcile_adapter_runs'),
          `${API}.CONSUMER.MSG.NEXT.${streams.jobs}.${consumers.assignmentWorker}`,
          `${API}.STREAM.DELETE.${streams.ledger}`,
          `${API}.STREAM.PURGE.${streams.ledger}`,
        ],
        subscribe: [names.jobsWildcard, '_INBOX.worker.>', names.housekeepingRunSubject],
      },
    },
    worker: {
      passwordEnv: 'NATS_PASSWORD_WORKER',
      publish: [
        ...jsBase,
        ...[streams.jobs, streams.ledger, streams.dlq].flatMap(streamInfo),
        ...durableConsumer(streams.jobs, consumers.assignmentWorker),
        ...ledgerProgress(streams.ledger, consumers.ledgerEvents),
        ...kvRead(kv.locks),
        ...kvWrite(kv.locks),
        names.ledgerEventsWildcard,
        names.ledgerApiSubject('get_run'),
        names.ledgerApiSubject('record_duplicate'),
        names.dlqSubject('assignment-worker'),
      ],
      subscribe: [...inbox('worker')],
      allowResponses: false,
      denied: {
        publish: [
          names.jobSubject('assignments.fetch'),
          names.ledgerApiSubject('ensure_run'),
          names.ledgerApiSubject('list_runs'),
          `${API}.CONSUMER.MSG.NEXT.${streams.ledger}.${consumers.ledgerEvents}`,
          `${API}.CONSUMER.CREATE.${streams.ledger}.${consumers.ledgerEvents}`,
          `${API}.STREAM.CREATE.${streams.jobs}`,
          `${API}.STREAM.DELETE.${streams.jobs}`,
          `${API}.STREAM.PURGE.${streams.jobs}`,
          names.dlqSubject('ledger'),
          kvDirectGet(kv.locks),
        ],
        subscribe: [names.ledgerApiSubject('ensure_run'), names.ledgerEventsWildcard, '_INBOX.ledger.>', '_INBOX.>'],
      },
    },
    housekeeping: {
      passwordEnv: 'NATS_PASSWORD_HOUSEKEEPING',
      publish: [
        ...jsBase,
        ...[streams.jobs, streams.ledger, streams.dlq].flatMap(streamInfo),
        ...ledgerProgress(streams.ledger, consumers.ledgerEvents),
        ...kvRead(kv.locks),
        ...kvWrite(kv.locks),
        names.ledgerEventsWildcard,
        // re-dispatch of a queued run whose job was lost: the ledger publishes it (republish_job)
        ...(['ensure_run', 'get_run', 'list_workspaces', 'list_active_runs', 'republish_job'] as const).map((e) =>
          names.ledgerApiSubject(e),
        ),
        names.dlqSubject('housekeeping'),
      ],
      subscribe: [names.housekeepingRunSubject, ...microService(services.housekeeping), ...inbox('housekeeping')],
      allowResponses: true,
      denied: {
        publish: [
          names.jobSubject('assignments.fetch'),
          names.jobSubject('ops.reconcile_adapter_runs'),
          names.ledgerApiSubject('record_duplicate'),
          `${API}.CONSUMER.MSG.NEXT.${streams.jobs}.${consumers.assignmentWorker}`,
          `${API}.CONSUMER.MSG.NEXT.${streams.ledger}.${consumers.ledgerEvents}`,
          `${API}.STREAM.DELETE.KV_${kv.locks}`,
          kvDirectGet(kv.locks),
        ],
        subscribe: [names.ledgerApiSubject('ensure_run'), names.jobsWildcard, '_INBOX.opsctl.>'],
      },
    },
    opsctl: {
      passwordEnv: 'NATS_PASSWORD_OPSCTL',
      publish: [
        ...inspect,
        // the read endpoints, and dispatch (ensure_run: idempotent, dedupe and cooldown apply — it
        // cannot stop, change or repeat existing work); housekeeping run on demand
        ...operatorReads,
        names.housekeepingRunSubject,
      ],
      subscribe: [...inbox('opsctl')],
      allowResponses: false,
      denied: {
        publish: [
          names.jobSubject('assignments.fetch'),
          names.ledgerEventSubject('completed'),
          `$KV.${kv.locks}.x`,
          `${API}.CONSUMER.MSG.NEXT.${streams.jobs}.${consumers.assignmentWorker}`,
          `${API}.CONSUMER.MSG.NEXT.${streams.ledger}.${consumers.ledgerEvents}`,
          `${API}.STREAM.DELETE.${streams.ledger}`,
          `${API}.STREAM.PURGE.${streams.dlq}`,
          `${API}.STREAM.MSG.DELETE.${streams.dlq}`,
          `${API}.STREAM.MSG.GET.${streams.ledger}`,
          names.dlqSubject('ledger'),
          kvDirectGet(kv.locks),
          // read-only: no operator action, no internal endpoint (issue #21)
          ...LEDGER_ADMIN_ENDPOINTS.map((e) => names.ledgerAdminSubject(e)),
          names.ledgerApiSubject('record_duplicate'),
          names.ledgerApiSubject('republish_job'),
        ],
        subscribe: [names.ledgerApiSubject('ensure_run'), names.jobsWildcard, '_INBOX.ledger.>'],
      },
    },
    // an operator (issue #21), and the web console acting for one (issue #22)
    operator: acting('NATS_PASSWORD_OPERATOR', 'operator'),
    console: acting('NATS_PASSWORD_CONSOLE', 'console'),
  };
}

/** The `authorization` block of nats-server's config (deploy/nats/auth.conf). */
export function renderAuthConf(names: Names = createNames('')): string {
  const perms = natsPermissions(names);
  const list = (subjects: readonly string[]) => `[\n${subjects.map((s) => `          ${JSON.stringify(s)}`).join(',\n')}\n        ]`;
  const users = NATS_USERS.map((user) => {
    const p = perms[user];
    return [
      '    {',
      `      user: ${JSON.stringify(user)}`,
      `      password: $${p.passwordEnv}`,
      '      permissions: {',
      `        publish: { allow: ${list(p.publish)} }`,
      `        subscribe: { allow: ${list(p.subscribe)} }`,
      ...(p.allowResponses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    ].join('\n');
  });
  return [
    '# GENERATED by `node deploy/nats/render.ts > deploy/nats/auth.conf` from deploy/nats/permissions.ts — edit that file, not this one.',
    '# Passwords are environment references resolved by nats-server at start (a Secret in compose/Kubernetes).',
    'authorization {',
    '  users = [',
    users.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
