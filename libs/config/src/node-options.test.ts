import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_OPTIONS, serviceNodeOptions } from './node-options.ts';

describe('serviceNodeOptions', () => {
  it('caps the old space and the semi-space unless the operator set NODE_OPTIONS', () => {
    expect(SERVICE_NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    expect(SERVICE_NODE_OPTIONS).toMatch(/--max-semi-space-size=\d+/);
    expect(serviceNodeOptions(undefined)).toBe(SERVICE_NODE_OPTIONS);
    expect(serviceNodeOptions('  ')).toBe(SERVICE_NODE_OPTIONS);
    expect(serviceNodeOptions('--max-old-space-size=256')).toBe('--max-old-space-size=256');
  });
});
