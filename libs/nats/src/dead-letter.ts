import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { type DlqOrigin, HEADERS, type Names, sanitizeMessage } from '@ops/contracts';

/** Bytes of the original payload kept in a dead letter (headers must fit too). */
const DLQ_MAX_PAYLOAD_BYTES = 64 * 1024;

export interface DeadLetter {
  readonly reason: string;
  readonly detail: string;
}

/**
 * Copies a message that can never be processed to OPS_DLQ (subject
 * ops.dlq.<origin>) with the reason in a header, then terminates it so it is
 * never redelivered. The copy's Nats-Msg-Id is derived from the origin's
 * stream sequence: a redelivery of the same bad message is copied only once.
 * Resolves only after JetStream stored the copy (nothing is lost).
 */
export async function deadLetter(js: JetStreamClient, names: Names, origin: DlqOrigin, msg: JsMsg, letter: DeadLetter): Promise<void> {
  const h = headers();
  h.set(HEADERS.dlqReason, letter.reason);
  h.set(HEADERS.dlqDetail, sanitizeMessage(letter.detail, { maxLength: 500 }));
  h.set(HEADERS.dlqOriginSubject, msg.subject);
  h.set(HEADERS.dlqOriginStream, msg.info.stream);
  h.set(HEADERS.dlqOriginSeq, String(msg.info.streamSequence));
  h.set(HEADERS.dlqReceivedAt, new Date().toISOString());
  let data = msg.data;
  if (data.byteLength > DLQ_MAX_PAYLOAD_BYTES) {
    data = data.subarray(0, DLQ_MAX_PAYLOAD_BYTES);
    h.set(HEADERS.dlqTruncated, 'true');
  }
  await js.publish(names.dlqSubject(origin), data, {
    headers: h,
    msgID: `dlq.${msg.info.stream}.${msg.info.streamSequence}`,
  });
  // the reason also reaches the server's MSG_TERMINATED advisory (2.10+); the dead letter keeps it for good
  msg.term(letter.reason);
}
