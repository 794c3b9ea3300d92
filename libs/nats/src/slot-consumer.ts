import { createRequire } from 'node:module';
import type { JsMsg } from '@nats-io/jetstream';
import { createInbox, type Msg, type NatsConnection, nanos, type Subscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';

/**
 * nats.js turns a core message into a JsMsg with `toJsMsg`, which its
 * package does not export (3.4.0, pinned): taken from the package's own
 * file, and checked when this module loads — an upgrade that moves it fails
 * at start, not at the first job.
 */
const toJsMsg: (m: Msg) => JsMsg = (() => {
  const main = createRequire(import.meta.url).resolve('@nats-io/jetstream');
  const mod = createRequire(main)('./jsmsg.js') as { toJsMsg?: unknown };
  if (typeof mod.toJsMsg !== 'function') throw new Error('@nats-io/jetstream: toJsMsg not found next to its entry (lib/jsmsg.js)');
  return mod.toJsMsg as (m: Msg) => JsMsg;
})();

export interface SlotConsumerOptions {
  readonly stream: string;
  readonly consumer: string;
  /** messages handled at once */
  readonly slots: number;
  /** ask for more once this many slots are free (fewer, larger pull requests); fewer free slots are asked for after a short top-up delay */
  readonly refillAt: number;
  /** how long a pull request waits at the server for messages */
  readonly expiresMs: number;
  /** the connection's inbox prefix (`_INBOX.<user>`: the only inboxes its permissions allow) */
  readonly inboxPrefix?: string | undefined;
  readonly logger: Logger;
}

export interface SlotConsumer {
  /** messages being handled now */
  readonly busy: () => number;
  /** stop asking; resolves once no pull request is outstanding and every handler has settled */
  stop(): Promise<void>;
}

/** a 409 (too many waiting requests, consumer deleted, …) or a 503: wait this long before asking again */
const BACKOFF_MS = 1_000;
/** a pull request whose end the server never reported is forgotten this long after it expired */
const LOST_MARGIN_MS = 3_000;
/** free slots below refillAt are asked for after this long: a long job never keeps a slot idle */
const TOP_UP_MS = 50;

/**
 * A pull consumer with ONE long-lived inbox subscription that asks the server
 * for exactly as many messages as it has free slots (issue #18): nothing waits
 * in a client-side buffer with its ack-wait clock running, and no
 * subscription is created per message (as `consumer.next()` does).
 *
 * Each pull request gets its own reply subject under the subscription, so the
 * server's end-of-request statuses (408 expired, 409, 503 — sent to that
 * subject, with the messages it did not deliver) are told apart; messages are
 * delivered under their own subject and count against the oldest open
 * request (the server fills requests in order). A reconnect forgets every
 * open request (the server dropped them with the connection).
 */
export function startSlotConsumer(
  nc: NatsConnection,
  options: SlotConsumerOptions,
  handle: (msg: JsMsg) => Promise<void>,
  /** a message that arrived after stop(): hand it back (nak) */
  onLate: (msg: JsMsg) => void,
): SlotConsumer {
  const inbox = createInbox(options.inboxPrefix);
  const nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${options.stream}.${options.consumer}`;
  /** open pull requests, oldest first: request id → messages still to come */
  const open = new Map<number, { remaining: number; timer: NodeJS.Timeout }>();
  let requestId = 0;
  let busy = 0;
  let stopping = false;
  let backoffUntil = 0;
  let backoffTimer: NodeJS.Timeout | undefined;
  let topUpTimer: NodeJS.Timeout | undefined;
  let settled: (() => void) | undefined;

  const outstanding = () => {
    let n = 0;
    for (const r of open.values()) n += r.remaining;
    return n;
  };
  const close = (id: number) => {
    const r = open.get(id);
    if (!r) return;
    clearTimeout(r.timer);
    open.delete(id);
  };
  const checkSettled = () => {
    if (stopping && busy === 0 && open.size === 0) settled?.();
  };

  const pull = (topUp = false) => {
    if (stopping || nc.isClosed()) return;
    const free = options.slots - busy - outstanding();
    if (free <= 0) return;
    if (free < options.refillAt && !topUp) {
      topUpTimer ??= setTimeout(() => {
        topUpTimer = undefined;
        pull(true);
      }, TOP_UP_MS);
      return;
    }
    clearTimeout(topUpTimer);
    topUpTimer = undefined;
    const wait = backoffUntil - Date.now();
    if (wait > 0) {
      backoffTimer ??= setTimeout(() => {
        backoffTimer = undefined;
        pull();
      }, wait);
      return;
    }
    const id = ++requestId;
    const timer = setTimeout(() => {
      close(id);
      pull();
      checkSettled();
    }, options.expiresMs + LOST_MARGIN_MS);
    open.set(id, { remaining: free, timer });
    nc.publish(nextSubject, JSON.stringify({ batch: free, expires: nanos(options.expiresMs) }), { reply: `${inbox}.${id}` });
  };

  const onStatus = (msg: Msg) => {
    const id = Number(msg.subject.slice(inbox.length + 1));
    const code = msg.headers?.code ?? 0;
    // 100: idle heartbeat — not the end of the request
    if (code === 100) return;
    close(id);
    if (code === 409 || code === 503) {
      options.logger.warn({ code, description: msg.headers?.description }, 'pull request refused; asking again shortly');
      backoffUntil = Date.now() + BACKOFF_MS;
    }
    pull();
    checkSettled();
  };

  const onMessage = (msg: Msg) => {
    // the oldest open request received it
    for (const [id, r] of open) {
      r.remaining -= 1;
      if (r.remaining <= 0) close(id);
      break;
    }
    const jsMsg = toJsMsg(msg);
    if (stopping) {
      onLate(jsMsg);
      checkSettled();
      return;
    }
    busy += 1;
    handle(jsMsg)
      .catch((err: unknown) => options.logger.error({ err }, 'message handler threw; message left for redelivery'))
      .finally(() => {
        busy -= 1;
        pull();
        checkSettled();
      });
  };

  const sub: Subscription = nc.subscribe(`${inbox}.*`, {
    callback: (err, msg) => {
      if (err) {
        options.logger.error({ err }, 'pull subscription failed');
        return;
      }
      if (msg.subject.startsWith(`${inbox}.`)) onStatus(msg);
      else onMessage(msg);
    },
  });

  // the server forgets pull requests with the connection: after a reconnect, ask again
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== 'reconnect') continue;
      for (const id of [...open.keys()]) close(id);
      pull();
    }
  })().catch(() => undefined);

  pull();
  return {
    busy: () => busy,
    async stop() {
      stopping = true;
      clearTimeout(backoffTimer);
      clearTimeout(topUpTimer);
      await new Promise<void>((resolve) => {
        settled = resolve;
        checkSettled();
      });
      sub.unsubscribe();
    },
  };
}
