import { defineEntity, p } from '@mikro-orm/core';

/**
 * MikroORM entities (defineEntity; no decorators — Node's type stripping
 * cannot run them). Properties use the column names so the run object,
 * the SQL and the entities read the same. The DDL lives in migrations/,
 * hand-written, because partial unique indexes and CHECKs are the point.
 */

export const Workspace = defineEntity({
  name: 'Workspace',
  tableName: 'workspaces',
  properties: {
    id: p.uuid().primary(),
    slug: p.string(),
    name: p.string(),
    created_at: p.datetime(),
    updated_at: p.datetime(),
  },
});

export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: p.uuid().primary(),
    workspace_id: p.uuid(),
    /** the customer's directory (Entra tenant) id: UUID v4 (FR-009a) */
    external_id: p.uuid(),
    slug: p.string(),
    name: p.string(),
    created_at: p.datetime(),
    updated_at: p.datetime(),
  },
});

export const Policy = defineEntity({
  name: 'Policy',
  tableName: 'policies',
  properties: {
    id: p.uuid().primary(),
    workspace_id: p.uuid(),
    tenant_id: p.uuid(),
    /** the policy's id in Microsoft Graph */
    external_id: p.string(),
    name: p.string(),
    policy_type: p.string(),
    created_at: p.datetime(),
    updated_at: p.datetime(),
  },
});

/** The operations ledger. Written ONLY by services/ledger-service. */
export const OperationRun = defineEntity({
  name: 'OperationRun',
  tableName: 'operation_runs',
  properties: {
    id: p.uuid().primary(),
    workspace_id: p.uuid(),
    tenant_id: p.uuid().nullable(),
    user_id: p.uuid().nullable(),
    initiator_name: p.string(),
    type: p.string(),
    status: p.string(),
    outcome: p.string(),
    run_identity_hash: p.string(),
    summary_counts: p.json<Record<string, number>>(),
    failure_summary: p.json<Array<{ code: string; message: string; count: number }>>(),
    context: p.json<Record<string, unknown>>(),
    attempt: p.integer(),
    event_seq: p.integer(),
    dedupe_hits: p.integer(),
    last_event_stream_seq: p.bigint('number').nullable(),
    last_event_at: p.datetime().nullable(),
    started_at: p.datetime().nullable(),
    completed_at: p.datetime().nullable(),
    created_at: p.datetime(),
    updated_at: p.datetime(),
    /** completed by housekeeping's closure, not by its executor: a real completion replaces it */
    closed_by_heal: p.boolean(),
    /** job messages the ledger published for the run (1: the original is stored; 0: not, or unknown) */
    job_generation: p.integer(),
  },
});

/** What a fetch read from Graph for one policy; owned by assignment-worker. */
const AssignmentSnapshot = defineEntity({
  name: 'AssignmentSnapshot',
  tableName: 'assignment_snapshots',
  properties: {
    id: p.uuid().primary(),
    workspace_id: p.uuid(),
    tenant_id: p.uuid(),
    policy_id: p.uuid(),
    run_id: p.uuid(),
    /** the attempt that wrote the row: only the same or a later attempt replaces it */
    attempt: p.integer(),
    assignments: p.json<Array<{ id: string; target: Record<string, unknown> }>>(),
    assignment_count: p.integer(),
    fetched_at: p.datetime(),
  },
});

export const ENTITIES = [Workspace, Tenant, Policy, OperationRun, AssignmentSnapshot];
