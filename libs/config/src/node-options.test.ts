import { describe, expect, it } from 'vitest';
import { SERVICE_MALLOC_ARENA_MAX, SERVICE_NODE_OPTIONS, serviceMallocArenaMax, serviceNodeOptions } from './node-options.ts';

describe('serviceNodeOptions', () => {
  it('caps the old space and the semi-space unless the operator set NODE_OPTIONS', () => {
    expect(SERVICE_NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    expect(SERVICE_NODE_OPTIONS).toMatch(/--max-semi-space-size=\d+/);
    expect(serviceNodeOptions(undefined)).toBe(SERVICE_NODE_OPTIONS);
    expect(serviceNodeOptions('  ')).toBe(SERVICE_NODE_OPTIONS);
    expect(serviceNodeOptions('--max-old-space-size=256')).toBe('--max-old-space-size=256');
  });
});

describe('serviceMallocArenaMax', () => {
  it('two malloc arenas unless the operator set MALLOC_ARENA_MAX', () => {
    expect(serviceMallocArenaMax(undefined)).toBe(SERVICE_MALLOC_ARENA_MAX);
    expect(serviceMallocArenaMax('')).toBe(SERVICE_MALLOC_ARENA_MAX);
    expect(SERVICE_MALLOC_ARENA_MAX).toBe('2');
    expect(serviceMallocArenaMax('8')).toBe('8');
  });
});
