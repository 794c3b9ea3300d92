import { type Msg, type NatsConnection, NoRespondersError, PermissionViolationError, TimeoutError } from '@nats-io/nats-core';
import { apiErrorReplyV1, encodeJson, OpsError } from '@ops/contracts';
import type { z } from 'zod';

/**
 * One request to one of our micro services, with every failure typed: no
 * responders → `unavailable` ("… is not running"), no answer in time →
 * `timeout`, an error reply → its own code, an unexpected body → `internal`.
 */
export async function requestService<S extends z.ZodType>(
  nc: NatsConnection,
  target: { subject: string; service: string; group: string; what: string },
  body: unknown,
  schema: S,
  timeoutMs: number,
): Promise<z.infer<S>> {
  let reply: Msg;
  try {
    reply = await nc.request(target.subject, encodeJson(body), { timeout: timeoutMs });
  } catch (err) {
    if (err instanceof NoRespondersError || (err as Error).cause instanceof NoRespondersError) {
      throw new OpsError('unavailable', `${target.service} is not running (no responders on ${target.group})`, { cause: err });
    }
    if (err instanceof PermissionViolationError || (err as Error).cause instanceof PermissionViolationError) {
      throw new OpsError('forbidden', `this NATS user may not call ${target.what} (publish to ${target.subject} refused)`, { cause: err });
    }
    if (err instanceof TimeoutError || (err as Error).cause instanceof TimeoutError) {
      throw new OpsError('timeout', `${target.service} did not answer ${target.what} within ${timeoutMs} ms`, { cause: err });
    }
    throw new OpsError('unavailable', `request ${target.what} to ${target.service} failed`, { cause: err });
  }
  let json: unknown;
  try {
    json = reply.json();
  } catch (err) {
    throw new OpsError('internal', `${target.service} answered ${target.what} with a non-JSON body`, { cause: err });
  }
  const failure = apiErrorReplyV1.safeParse(json);
  if (failure.success) throw new OpsError(failure.data.error.code, failure.data.error.message, { issues: failure.data.error.issues });
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new OpsError('internal', `${target.service} answered ${target.what} with an unexpected body`);
  return parsed.data;
}

/** One micro-service endpoint group's caller: `call(endpoint, body, schema)` with the group's subjects and timeout. */
export function endpointCaller<E extends string>(
  nc: NatsConnection,
  group: { subject: (endpoint: E) => string; group: string; timeoutMs: number },
): <S extends z.ZodType>(endpoint: E, body: unknown, schema: S) => Promise<z.infer<S>> {
  return (endpoint, body, schema) =>
    requestService(
      nc,
      { subject: group.subject(endpoint), service: 'the ledger service', group: group.group, what: endpoint },
      body,
      schema,
      group.timeoutMs,
    );
}
