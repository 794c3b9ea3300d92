// The console's API from the browser: same-origin fetches with the session
// cookie, the CSRF token on every POST, live views over EventSource.

let csrf = '';

/** GET /api/session: who is signed in, and the CSRF token its actions must carry. */
export async function loadSession() {
  const session = await getJson('/api/session');
  csrf = session.csrf ?? '';
  return session;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function answer(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (res.status === 401) {
    // the session ended (expired, signed out elsewhere, console restarted)
    window.location.assign('/login');
    throw new ApiError(401, 'unauthorized', 'signed out — sign in again');
  }
  if (!res.ok) {
    const error = body?.error ?? { code: 'http_' + res.status, message: res.statusText };
    throw new ApiError(res.status, error.code, error.message);
  }
  return body;
}

export async function getJson(path) {
  return answer(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

export async function postJson(path, body) {
  return answer(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body ?? {}),
    }),
  );
}

/**
 * A live view of an /api/ GET: onUpdate(json) first at once, then whenever it
 * changes (the server sends only changes); onProblem(error) when a read fails;
 * onState(true|false) for the connection. Returns a function that closes it.
 */
export function live(path, { onUpdate, onProblem, onState }) {
  const source = new EventSource('/api/live?path=' + encodeURIComponent(path));
  source.addEventListener('update', (e) => onUpdate(JSON.parse(e.data)));
  source.addEventListener('problem', (e) => onProblem?.(JSON.parse(e.data).error));
  source.addEventListener('open', () => onState?.(true));
  source.addEventListener('error', () => onState?.(false));
  return () => source.close();
}
