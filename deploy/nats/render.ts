import { renderAuthConf } from './permissions.ts';

// `node deploy/nats/render.ts > deploy/nats/auth.conf` (a test fails when the committed file drifts)
process.stdout.write(renderAuthConf());
