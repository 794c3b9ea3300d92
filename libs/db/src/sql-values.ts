/**
 * A uuid[] parameter as a PostgreSQL array literal: MikroORM's raw execute
 * would expand a JS array into a list. Throws on anything that is not a
 * UUID, so no value can add elements (a comma) or break the literal.
 */
export function uuidArray(ids: readonly string[]): string {
  for (const id of ids) {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error('uuidArray: not a uuid');
  }
  return `{${ids.join(',')}}`;
}
