import type { GraphAssignment } from './types.ts';

/**
 * Plain shape checks of Graph's answers (no zod in this library). They return
 * a reason of our own, never a fragment of the body, so the caller can put it
 * in an error message safely.
 */
interface AssignmentPage {
  readonly value: GraphAssignment[];
  readonly nextLink: string | undefined;
}

export function parseAssignmentPage(text: string): AssignmentPage | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  if (!isRecord(body)) return 'the body is not an object';
  const { value, '@odata.nextLink': nextLink } = body;
  if (!Array.isArray(value)) return 'the body has no value array';
  if (nextLink !== undefined && nextLink !== null && typeof nextLink !== 'string') return '@odata.nextLink is not a string';
  const assignments: GraphAssignment[] = [];
  for (const [index, item] of value.entries()) {
    if (!isRecord(item) || typeof item['id'] !== 'string' || item['id'] === '') return `value[${index}] has no id`;
    if (!isRecord(item['target'])) return `value[${index}] has no target object`;
    // only what the interface promises: other properties are Graph's bookkeeping
    assignments.push({ id: item['id'], target: item['target'] });
  }
  return { value: assignments, nextLink: typeof nextLink === 'string' ? nextLink : undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
