/** The id a domain stream is named by: `fact-<factId>` → `<factId>` (the category ends at the first dash). */
export function streamKey(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(dash + 1);
}
