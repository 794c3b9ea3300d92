import { Writable } from 'node:stream';
import { createServiceLogger, type Logger } from '@ops/logging';

/** A real pino logger whose JSON lines are kept in memory, so tests can search them (secrets!). */
export function captureLogger(service: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createServiceLogger(service, { level: 'debug', destination });
  return { logger, lines };
}

/** Real time plus an offset the test can move forward (services keep running in real time). */
export function shiftableClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    set(date: Date) {
      offset = date.getTime() - Date.now();
    },
    advance(ms: number) {
      offset += ms;
    },
  };
}
