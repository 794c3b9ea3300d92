import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * Node runs our .ts sources by stripping types; vitest would happily run
 * syntax Node cannot (enums, namespaces, parameter properties, decorators).
 * The type-check over every package is therefore part of the tests.
 */
const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules/.bin/tsc');

describe('type-check', () => {
  it('tsc --noEmit passes over every package (erasableSyntaxOnly)', async () => {
    const result = await run(TSC, ['--noEmit', '-p', 'tsconfig.json'], { cwd: ROOT }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    ['an enum', 'export enum Color { Red }\n'],
    ['a namespace', 'export namespace N { export const x = 1; }\n'],
    ['a parameter property', 'export class A { constructor(private readonly x: number) {} }\n'],
  ])('the same compiler options reject %s', async (_name, source) => {
    const dir = await mkdtemp(join(tmpdir(), 'ops-tsc-'));
    try {
      await writeFile(join(dir, 'bad.ts'), source);
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['bad.ts'], compilerOptions: { types: [] } }),
      );
      const result = await run(TSC, ['--noEmit', '-p', join(dir, 'tsconfig.json')]).then(
        () => ({ code: 0, out: '' }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
      expect(result.code).not.toBe(0);
      expect(result.out).toContain('TS1294');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
