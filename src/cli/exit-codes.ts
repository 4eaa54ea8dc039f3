/**
 * The exit codes of every `annals` command, one table (README "Command line" and `annals --help`
 * print it). Scripts branch on them, so a code keeps its meaning; new meanings get new numbers.
 * No imports: commands built elsewhere (keys, verify, watches) use it without booting the core.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, rejected: 3, refused: 4, notFound: 5, mismatch: 6 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  failed: an error; the store or server did not answer
  2  usage: a bad option, argument or value (an unknown role, a malformed field, an unreadable input file)
  3  done, but some records were rejected (import)
  4  refused: the state or the key does not allow it (a restore into a non-empty log, a server owning the
     data directory, a key already revoked or a name already used, a running rebuild; HTTP 401, 403, 409)
  5  not found: the figure, fact, watch or key named does not exist (HTTP 404)
  6  does not verify: a hash chain, the Merkle tree, a checkpoint or a proof does not match (verify, verify-proof)`;

/** What a server's refusal means to a script: the status mapped once, for every --url command. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403 || status === 409) return EXIT.refused;
  if (status === 404) return EXIT.notFound;
  return status < 500 ? EXIT.usage : EXIT.failed;
}
