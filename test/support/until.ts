/** Polls `check` until it holds (or the deadline, generous: speed is measured, not asserted); answers the milliseconds it took. */
export async function until(check: () => Promise<boolean>, deadlineMs = 10_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > deadlineMs) throw new Error(`not reached in ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Math.round(performance.now() - started);
}
