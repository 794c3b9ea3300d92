import { describe, expect, it } from 'vitest';
import { isSupportedNatsServer } from './server-version.ts';

describe('the minimum nats-server version', () => {
  it.each([
    ['2.10.0', true],
    ['2.10.27', true],
    ['2.11.4', true],
    ['3.0.0', true],
    ['v2.10.29', true],
    ['2.10.0-beta.1', true],
    ['2.9.10', false],
    ['2.9.25', false],
    ['1.4.1', false],
    ['', false],
    ['unknown', false],
  ])('%s → %s', (version, supported) => {
    expect(isSupportedNatsServer(version)).toBe(supported);
  });
});
