/**
 * Runs a bench script's work to its end, then ends the process: 0 once it resolved, 1 with the error
 * printed once it failed (a pool, a server or a timer left open would otherwise keep the process up).
 */
export function runMain(main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
