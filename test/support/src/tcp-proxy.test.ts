import { describe, expect, it } from 'vitest';
import { publishedSubjects } from './tcp-proxy.ts';

describe("the proxy's reader of the NATS client protocol", () => {
  it('names the subject of every PUB and HPUB, skipping payloads (CRLFs inside them too), across chunk boundaries', () => {
    const seen: string[] = [];
    const read = publishedSubjects((s) => seen.push(s));
    const stream = Buffer.from(
      [
        'CONNECT {"verbose":false}\r\n',
        'SUB _INBOX.x 1\r\n',
        'PUB a.b 5\r\nPUB x\r\n',
        'HPUB $JS.ACK.S.C.1 _INBOX.r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n',
        'pub lower.case 0\r\n\r\n',
        'PING\r\n',
        'PUB $KV.locks.k reply 3\r\nabc\r\n',
      ].join(''),
    );
    for (let i = 0; i < stream.length; i += 7) read(stream.subarray(i, i + 7));
    expect(seen).toEqual(['a.b', '$JS.ACK.S.C.1', 'lower.case', '$KV.locks.k']);
  });
});
