import { useEffect, useState } from 'preact/hooks';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { ContactDetails as Details } from '../../shared/messages';
import { send } from '../send';
import { label, money, shortDate } from '../format';
import { Notice } from './Notice';

/** Recent notes, open tasks (overdue ones flagged) and deals, fetched when the rep asks for them. */
export function ContactDetails({ id }: { id: string }) {
  const [details, setDetails] = useState<Details | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    send({ type: 'contactDetails', id }).then(
      (loaded) => current && setDetails(loaded),
      (failure) => current && setError(toErrorInfo(failure)),
    );
    return () => {
      current = false;
    };
  }, [id, attempt]);

  if (error) {
    return (
      <div class="details">
        <Notice error={error} />
        <button type="button" class="btn" onClick={() => { setError(null); setAttempt(attempt + 1); }}>Try again</button>
      </div>
    );
  }
  if (!details) return <p class="muted" role="status">Loading notes, tasks and deals…</p>;
  const now = Date.now() / 1000;
  return (
    <div class="details">
      <section aria-label="Recent notes">
        <h3>Recent notes</h3>
        {details.notes.length === 0 ? <p class="muted">No notes yet.</p> : (
          <ul class="list">
            {details.notes.map((note) => (
              <li key={note.id}>
                <strong>{note.subject || 'Note'}</strong>
                {note.createdTime !== null && <span class="muted"> · {shortDate(note.createdTime)}</span>}
                {note.description && <p class="note-body">{note.description}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label="Open tasks">
        <h3>Open tasks</h3>
        {details.tasks.length === 0 ? <p class="muted">No open tasks.</p> : (
          <ul class="list">
            {details.tasks.map((task) => {
              const overdue = task.due !== null && task.due < now;
              return (
                <li key={task.id} class={overdue ? 'overdue' : undefined}>
                  <strong>{task.subject || label(task.type)}</strong>
                  <span class="muted"> · {label(task.type)} · {label(task.priority)} priority</span>
                  {task.due !== null && <span class={overdue ? 'due overdue' : 'due'}> · {overdue ? 'Overdue since ' : 'Due '}{shortDate(task.due)}</span>}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <section aria-label="Deals">
        <h3>Deals</h3>
        {details.deals.length === 0 ? <p class="muted">No deals.</p> : (
          <ul class="list">
            {details.deals.map((deal) => (
              <li key={deal.id}>
                <strong>{deal.name || 'Deal'}</strong>
                <span class="muted">
                  {deal.value !== null && ` · ${money(deal.value, deal.currency)}`}
                  {deal.milestone && ` · ${deal.milestone}`}
                  {deal.probability !== null && ` · ${deal.probability}%`}
                  {deal.closeDate !== null && ` · closes ${shortDate(deal.closeDate)}`}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
