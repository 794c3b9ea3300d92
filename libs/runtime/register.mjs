// Loader for the images (deploy/docker/Dockerfile, docs/images.md):
//
//   node --import @ops/runtime/register src/main.ts
//
// Why: the services run their TypeScript sources directly with Node's type
// stripping, and in the repository the @ops/* libraries are symlinked
// workspace packages, so that just works. `pnpm deploy` (the image build)
// copies those libraries into node_modules/, and Node refuses to strip types
// of any file under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING)
// — while the libraries' package.json `exports` point at ./src/index.ts.
// This hook strips them itself. It is plain JavaScript (.mjs) because it has
// to load before type stripping of node_modules works, and it uses the
// synchronous, in-thread module.registerHooks (Node >= 22.15 / 23.5), so no
// loader worker thread and no ordering surprises.
//
// Only `.ts`/`.mts` files under a node_modules directory are handled; every
// other module (the service's own src/, .js dependencies) goes to Node's own
// loader untouched. They are loaded as ES modules: every @ops/* package is
// "type": "module". The strip mode ('strip', Node's default) replaces types
// with blanks, so line and column numbers in stack traces stay right.
import { readFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';

const TS_IN_NODE_MODULES = /\/node_modules\/.*\.m?ts$/;

// module.stripTypeScriptTypes is still marked experimental in Node 24 and
// says so once per process on stderr, in front of the services' JSON logs
// (the same stripping of src/ by Node itself prints nothing). Only that one
// warning, during the first call, is kept quiet; every other warning passes.
let quieted = false;
function strip(source) {
  if (quieted) return stripTypeScriptTypes(source);
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const text = warning instanceof Error ? warning.message : String(warning);
    if (!text.startsWith('stripTypeScriptTypes is an experimental feature')) emitWarning.call(process, warning, ...rest);
  };
  try {
    return stripTypeScriptTypes(source);
  } finally {
    process.emitWarning = emitWarning;
    quieted = true;
  }
}

registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:')) {
      const { pathname } = new URL(url);
      if (TS_IN_NODE_MODULES.test(pathname)) {
        const source = readFileSync(fileURLToPath(url), 'utf8');
        return { format: 'module', source: strip(source), shortCircuit: true };
      }
    }
    return nextLoad(url, context);
  },
});
