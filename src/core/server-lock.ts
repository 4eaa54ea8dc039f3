import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A server marks the read models it keeps (`<read-model path>.pid`), so that a command line working
 * on the same data directory directly does not project into them too: two runners applying the
 * same events to one file would write them twice.
 */
export function markServed(readModelPath: string): () => void {
  const file = `${readModelPath}.pid`;
  writeFileSync(file, String(process.pid));
  const release = () => {
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
  };
  process.once('exit', release);
  return release;
}

/** The pid of a live server on this directory, or undefined (no mark, or a mark left by a process that is gone). */
export function servingProcess(readModelPath: string): number | undefined {
  const file = `${readModelPath}.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
