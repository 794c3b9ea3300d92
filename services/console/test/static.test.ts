import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublicFiles, lookupStatic, PUBLIC_DIR } from '../src/static.ts';

/** The pages work offline and under the strict CSP: nothing from another host, no inline script or style. */
const files = loadPublicFiles();

describe('console public files', () => {
  it('finds the pages and their modules', () => {
    for (const path of ['/index.html', '/login.html', '/app.js', '/app.css', '/api.js', '/views/runs.js'])
      expect(files.has(path), path).toBe(true);
  });

  it('no file references an absolute http(s) URL (no CDN: the console must work offline)', () => {
    const offenders = [...files.entries()].filter(([, f]) => /\bhttps?:\/\//i.test(f.body.toString('utf8'))).map(([p]) => p);
    expect(offenders).toEqual([]);
  });

  it('the HTML has no inline script, inline style or event-handler attribute (the CSP forbids them)', () => {
    for (const page of ['index.html', 'login.html']) {
      const html = readFileSync(join(PUBLIC_DIR, page), 'utf8');
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
        expect(m[1], page).toMatch(/\bsrc="\/[^"]+"/);
        expect(m[2]!.trim(), page).toBe('');
      }
      expect(html, page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    }
  });

  it('a URL resolves only to a file of the table: traversal in any spelling is absent', () => {
    expect(lookupStatic(files, '/')?.path).toBe('/index.html');
    expect(lookupStatic(files, '/views/run.js')?.file.contentType).toBe('text/javascript; charset=utf-8');
    for (const path of [
      '/..%2f..%2fpackage.json',
      '/../package.json',
      '/%2e%2e/src/main.ts',
      '/..%5cpackage.json',
      '/%E0%A4%A',
      '/views/../../package.json',
    ]) {
      expect(lookupStatic(files, path), path).toBeNull();
    }
  });
});
