import { setFlagsFromString } from 'node:v8';

/**
 * The serving process (startServer: `node dist/main.js` and `annals serve` alike) lets V8's old generation grow by 30% past what a full
 * collection left alive (V8 chooses 1.1–4× by default, from how fast the program allocates).
 * A first start on a million-event log holds ~100 MB of live state during its integrity walk
 * (every stream's last hash) while it reads and parses the whole log: V8 let the heap grow to
 * 3–4× that between collections: the walk alone peaked at 396–427 MiB RSS, with this at 241 MiB for
 * the same CPU (46.1 and 46.3 s), and a whole first start at 609 MiB, with this at 299 MiB.
 * See docs/performance.md, "Issue 24 item 4, third pass".
 * Set at run time, first thing in startServer, because the service is started without command-line
 * flags; V8 reads this flag at every collection.
 */
export function limitHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=30');
}
