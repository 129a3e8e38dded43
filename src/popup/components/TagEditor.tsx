import { useState } from 'preact/hooks';
import type { Contact } from '../../shared/contact';
import { send } from '../send';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';

/** Adds tags (comma-separated) or removes one; the card shows Agile's updated contact. */
export function TagEditor({ contact, onChange }: { contact: Contact; onChange(contact: Contact): void }) {
  const [draft, setDraft] = useState('');
  const action = useAction(
    (tags: string[], mode: 'add' | 'remove') => send({ type: 'editTags', id: contact.id, tags, mode }),
    (updated) => `Tags saved: ${updated.tags.join(', ') || 'none'}.`,
  );
  const apply = async (tags: string[], mode: 'add' | 'remove') => {
    const updated = await action.run(tags, mode);
    if (updated) {
      onChange(updated);
      if (mode === 'add') setDraft('');
    }
  };
  const add = (event: Event) => {
    event.preventDefault();
    const tags = draft.split(',').map((tag) => tag.trim()).filter(Boolean);
    if (tags.length > 0) void apply(tags, 'add');
  };
  return (
    <form class="form" onSubmit={add} aria-label="Edit tags">
      {contact.tags.length > 0 && (
        <ul class="tags" aria-label="Current tags">
          {contact.tags.map((tag) => (
            <li class="chip" key={tag}>
              {tag}
              <button type="button" class="chip-x" aria-label={`Remove tag ${tag}`} disabled={action.state.status === 'busy'} onClick={() => void apply([tag], 'remove')}>×</button>
            </li>
          ))}
        </ul>
      )}
      <label class="field">
        <span>New tags, comma-separated</span>
        <input value={draft} maxLength={500} onInput={(event) => setDraft(event.currentTarget.value)} placeholder="vip, renewal-2027" />
      </label>
      <button type="submit" class="btn btn-primary" disabled={action.state.status === 'busy' || !draft.trim()}>Add tags</button>
      <ActionStatus state={action.state} />
    </form>
  );
}
