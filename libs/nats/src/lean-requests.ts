import {
  createInbox,
  type Msg,
  type NatsConnection,
  NoRespondersError,
  type Payload,
  RequestError,
  type RequestOptions,
  TimeoutError,
} from '@nats-io/nats-core';

interface Waiting {
  readonly subject: string;
  readonly resolve: (msg: Msg) => void;
  readonly reject: (err: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The connection with a request path that builds no `Error` when a request
 * succeeds (issue #18). nats.js's `RequestOne` ends every request, answered
 * or not, by rejecting its settled promise with a fresh
 * `RequestError("cancelled")` — a captured stack per request: per run, the
 * lease writes, the events and the job publish. Here every request gets a
 * token under ONE long-lived wildcard subscription of the connection's inbox
 * (`_INBOX.<user>.<nuid>.*`: the only inboxes its permissions allow); errors
 * exist only when something failed: a timeout (TimeoutError), no responders
 * (a RequestError caused by NoRespondersError — what the JetStream client
 * looks for), the connection closing.
 *
 * Everything else is the connection itself: hand the returned object to
 * `jetstream()`, `new Kvm()` or a ledger client and their requests take this
 * path. Requests with options it does not implement (`noMux`, `reply`) go to
 * nats.js unchanged.
 */
export function withLeanRequests(nc: NatsConnection): NatsConnection {
  const prefix = createInbox(inboxPrefixOf(nc));
  const waiting = new Map<string, Waiting>();
  let next = 0;

  const sub = nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err) {
        failAll(err);
        return;
      }
      const token = msg.subject.slice(prefix.length + 1);
      const w = waiting.get(token);
      // answered after its timeout, or a second reply: nobody waits for it
      if (!w) return;
      waiting.delete(token);
      clearTimeout(w.timer);
      if (msg.data.length === 0 && msg.headers?.code === 503) {
        w.reject(new RequestError(`no responders: '${w.subject}'`, { cause: new NoRespondersError(w.subject) }));
      } else {
        w.resolve(msg);
      }
    },
  });
  const failAll = (err: unknown) => {
    for (const w of waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    waiting.clear();
  };
  void sub.closed.then(() => failAll(new RequestError('the connection closed before the reply came')));

  const request = (subject: string, payload?: Payload, opts?: RequestOptions): Promise<Msg> => {
    if (opts?.noMux || opts?.reply) return nc.request(subject, payload, opts);
    if (sub.isClosed()) return Promise.reject(new RequestError('the connection is closed'));
    const token = (next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(token);
        reject(new TimeoutError());
      }, opts?.timeout ?? 1_000);
      waiting.set(token, { subject, resolve, reject, timer });
      try {
        nc.publish(subject, payload, { reply: `${prefix}.${token}`, ...(opts?.headers ? { headers: opts.headers } : {}) });
      } catch (err) {
        waiting.delete(token);
        clearTimeout(timer);
        reject(err);
      }
    });
  };

  // the connection's own methods, bound once (they use its private state)
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'request') return request;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (!fn) {
        fn = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}

/** the inbox prefix the connection was opened with (`_INBOX.<user>`, natsCredentials), or nats.js's default */
function inboxPrefixOf(nc: NatsConnection): string {
  const options = (nc as { options?: { inboxPrefix?: unknown } }).options;
  return typeof options?.inboxPrefix === 'string' && options.inboxPrefix !== '' ? options.inboxPrefix : '_INBOX';
}
