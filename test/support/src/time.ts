/** The tests' one sleep: polling loops, and the pauses a fault scenario draws. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
