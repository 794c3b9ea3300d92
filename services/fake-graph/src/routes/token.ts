import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeContext } from '../context.ts';
import { readText, sendJson } from '../http.ts';

/** POST /{tenant}/oauth2/v2.0/token — the client-credentials grant of the Microsoft identity platform. */
export async function handleToken(context: FakeContext, req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
  context.probe.tokenCall();
  const form = new URLSearchParams((await readText(req)) ?? '');
  if (form.get('grant_type') !== 'client_credentials') {
    sendJson(res, 400, { error: 'unsupported_grant_type' });
    return;
  }
  if (form.get('client_id') !== context.clientId || form.get('client_secret') !== context.clientSecret) {
    const echo = context.faults.current().echoSecretsInErrors ? `; client_secret=${context.clientSecret}` : '';
    sendJson(res, 401, { error: 'invalid_client', error_description: `client authentication failed${echo}` });
    return;
  }
  sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: context.tokens.issue(tenant) });
}
