import { describe, expect, it } from 'vitest';
import { fitByBytes } from './page-fit.ts';

describe('fitByBytes', () => {
  it('takes every item that fits, counting the envelope and a comma per item', () => {
    expect(fitByBytes([10, 10, 10], 20, 53)).toBe(3);
    expect(fitByBytes([10, 10, 10], 20, 52)).toBe(2);
    expect(fitByBytes([10, 10, 10], 20, 31)).toBe(1);
  });
  it('never returns an empty page when there are items (one run always fits the bus)', () => {
    expect(fitByBytes([500], 20, 100)).toBe(1);
    expect(fitByBytes([], 20, 100)).toBe(0);
  });
});
