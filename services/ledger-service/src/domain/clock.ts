/** Injectable time source (cooldown boundaries are tested with a fake one). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
