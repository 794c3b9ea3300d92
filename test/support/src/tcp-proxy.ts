import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy in front of a NATS server that a test controls: `cut()` drops
 * every connection through it and refuses new ones (the client sees its
 * connection go and reconnects in vain — nats.js buffers what it is asked to
 * send meanwhile), `restore()` lets it reconnect. It parses what the client
 * sends (NATS protocol `PUB` / `HPUB`) and records the subject of every
 * message, with the moment (a counter of cuts) it was sent in, so a test can
 * ask "what did this client publish after it came back?".
 */
export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  cut(): void;
  restore(): void;
  /** subjects the client published since the last restore() (or since start, before any cut) */
  publishedSinceRestore(): string[];
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let cut = false;
  let sinceRestore: string[] = [];
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const parser = publishedSubjects((subject) => sinceRestore.push(subject));
    client.on('data', (chunk: Buffer) => {
      parser(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
      sinceRestore = [];
    },
    publishedSinceRestore: () => [...sinceRestore],
    close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A streaming reader of the client side of the NATS protocol: calls `onPublish`
 * with the subject of every PUB / HPUB, skipping their payloads (which may
 * contain anything, CRLFs included).
 */
export function publishedSubjects(onPublish: (subject: string) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  let skip = 0;
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buffer.length);
        buffer = buffer.subarray(n);
        skip -= n;
        if (skip > 0) return;
      }
      const eol = buffer.indexOf('\r\n');
      if (eol === -1) return;
      const line = buffer.subarray(0, eol).toString('latin1');
      buffer = buffer.subarray(eol + 2);
      const [op, subject, ...rest] = line.split(' ');
      const verb = op?.toUpperCase();
      if ((verb === 'PUB' || verb === 'HPUB') && subject) {
        onPublish(subject);
        // PUB <subject> [reply] <size>; HPUB <subject> [reply] <header size> <total size>: the payload and its CRLF follow
        skip = Number(rest[rest.length - 1]) + 2;
      }
    }
  };
}
