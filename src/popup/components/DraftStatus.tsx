/** Under a form holding a draft: the kept error of a write that failed (the submit button tries again), and Discard. */
export function DraftStatus({ error, dirty, onDiscard }: { error: string | null; dirty: boolean; onDiscard(): void }) {
  if (!error && !dirty) return null;
  return (
    <div class="draft">
      {error && <p class="notice notice-error" role="alert">Not saved: {error} Your text is kept; try again.</p>}
      <button type="button" class="btn btn-quiet" onClick={onDiscard}>Discard draft</button>
    </div>
  );
}
