import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './auth.ts';
import { errorBody, HttpError } from './http.ts';
import type { Read } from './reads.ts';

/** a comment line now and then keeps idle proxies from closing the stream */
const KEEPALIVE_MS = 15_000;

export interface LiveViews {
  /**
   * Serves `GET /api/live?path=<an /api/ GET with its query>` as Server-Sent
   * Events: re-reads that GET every `intervalMs` and sends an `update` event
   * (the JSON) only when it changed — the first read always — or an `problem`
   * event (`{error:{code,message}}`) when a read failed. Ends when the client goes.
   */
  serve(req: IncomingMessage, res: ServerResponse, principal: Principal, read: Read, query: URLSearchParams): void;
  /** live views open now (all sessions) */
  open(): number;
  /** ends every stream (shutdown) */
  closeAll(): void;
}

export function createLiveViews(options: { intervalMs: number; maxPerSession: number }): LiveViews {
  const perKey = new Map<string, number>();
  const closers = new Set<() => void>();
  return {
    serve(req, res, principal, read, query) {
      const held = perKey.get(principal.key) ?? 0;
      if (held >= options.maxPerSession) {
        throw new HttpError(429, 'too_many', `at most ${options.maxPerSession} live views per session — close another page`);
      }
      perKey.set(principal.key, held + 1);
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      res.write('retry: 3000\n\n');
      let last: string | null = null;
      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      const tick = async () => {
        let event: string;
        let data: string;
        try {
          data = JSON.stringify(await read(query));
          event = 'update';
        } catch (err) {
          data = JSON.stringify(errorBody(err).body);
          event = 'problem';
        }
        if (closed) return;
        const frame = `${event}\n${data}`;
        if (frame !== last) {
          last = frame;
          res.write(`event: ${event}\ndata: ${data}\n\n`);
        }
        // the next read starts after this one ended: a slow ledger is never asked twice at once
        timer = setTimeout(() => void tick(), options.intervalMs);
      };
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      const close = () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        clearInterval(keepalive);
        closers.delete(close);
        const left = (perKey.get(principal.key) ?? 1) - 1;
        if (left <= 0) perKey.delete(principal.key);
        else perKey.set(principal.key, left);
        res.end();
      };
      closers.add(close);
      req.on('close', close);
      res.on('error', close);
      void tick();
    },
    open: () => closers.size,
    closeAll() {
      for (const close of [...closers]) close();
    },
  };
}
