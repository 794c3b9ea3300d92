import type { Pool, PoolClient } from 'pg';

/**
 * A named, prepared SQL statement with named parameters (issue #18): the
 * text says `$workspace_id`, not `?` number 17. Compiled once to PostgreSQL's
 * positional form; executed as a named prepared statement on the pool's
 * connections, so PostgreSQL plans it once per connection instead of once
 * per call (MikroORM's `execute` inlines the values into the text: a new
 * statement every time).
 */
/** `P`: its parameters' names; `R`: the row it returns (a phantom type: what the text's SELECT/RETURNING gives) */
export interface Statement<P extends string, R = never> {
  /** the prepared statement's name: one text per name, for the process's life */
  readonly name: string;
  /** false: parsed and planned on every call with its values (operator listings whose optional filters a generic plan would serve badly) */
  readonly prepare: boolean;
  readonly text: string;
  /** parameter names in positional order ($1, $2, …) */
  readonly params: readonly P[];
  /** never set: carries R */
  readonly row?: R;
}

const PARAM = /\$([a-z_][a-z0-9_]*)/g;

/**
 * `$name` placeholders become `$1…$n` in order of first appearance (a name
 * used twice is one parameter). Names are lower-case identifiers; PostgreSQL's
 * own positional `$1` is not allowed here, nor is dollar quoting.
 */
export function statement<P extends string, R = never>(
  name: string,
  text: string,
  options: { readonly prepare?: boolean } = {},
): Statement<P, R> {
  const params: P[] = [];
  const compiled = text.replace(PARAM, (_match, param: string) => {
    let index = params.indexOf(param as P);
    if (index < 0) index = params.push(param as P) - 1;
    return `$${index + 1}`;
  });
  if (/\$\d/.test(text)) throw new Error(`statement ${name}: use named parameters ($name), not positional ones`);
  return { name, text: compiled, params, prepare: options.prepare ?? true };
}

/** Runs a statement with its parameters by name; every parameter must be given. */
export async function execute<P extends string, R>(
  pool: Pool | PoolClient,
  st: Statement<P, R>,
  values: Readonly<Record<P, unknown>>,
): Promise<R[]> {
  const ordered = st.params.map((p) => {
    if (!(p in values)) throw new Error(`statement ${st.name}: no value for $${p}`);
    return values[p];
  });
  const result = await pool.query(st.prepare ? { name: st.name, text: st.text, values: ordered } : { text: st.text, values: ordered });
  return result.rows as R[];
}
