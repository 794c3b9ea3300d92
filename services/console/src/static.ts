import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** services/console/public: plain HTML, CSS and ES modules — no build step, nothing from a CDN. */
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Every file of public/ read once at start, keyed by its URL path (`/app.js`).
 * A request is answered only from this table, so no URL — `..`, `%2f`,
 * backslashes, symlinks — can reach a file outside it. Unknown extensions are
 * not served.
 */
export function loadPublicFiles(dir: string = PUBLIC_DIR): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (contentType === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(`/${relative(dir, path).split(sep).join('/')}`, { body: readFileSync(path), contentType });
  }
  return files;
}

/** The table's entry for a URL path: `/` is the app; `%xx` is decoded once, and anything not in the table is absent. */
export function lookupStatic(files: ReadonlyMap<string, StaticFile>, pathname: string): { path: string; file: StaticFile } | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path === '/') path = '/index.html';
  const file = files.get(path);
  return file ? { path, file } : null;
}
