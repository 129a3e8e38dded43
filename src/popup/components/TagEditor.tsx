import { useRef } from 'preact/hooks';
import type { Contact } from '../../shared/contact';
import { send } from '../send';
import { useDraft } from '../drafts';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';
import { DraftStatus } from './DraftStatus';

/** Adds tags (comma-separated) or removes one; the card shows Agile's updated contact. */
export function TagEditor({ contact, onChange }: { contact: Contact; onChange(contact: Contact): void }) {
  const kept = useDraft(`tags:${contact.id}`, { tags: '' });
  const draft = kept.fields.tags;
  const input = useRef<HTMLInputElement>(null);
  // Only a failed add belongs to the typed tags (its retry is the form's button); a failed removal is said alone.
  const adding = useRef(false);
  const action = useAction(
    (tags: string[], mode: 'add' | 'remove') => {
      adding.current = mode === 'add';
      return send({ type: 'editTags', id: contact.id, tags, mode });
    },
    (updated) => `Tags saved: ${updated.tags.join(', ') || 'none'}.`,
    (error) => adding.current && kept.failed(error.message),
  );
  const apply = async (tags: string[], mode: 'add' | 'remove') => {
    const updated = await action.run(tags, mode);
    if (updated) {
      onChange(updated);
      if (mode === 'add') kept.clear();
      // A removed tag takes its button with it: keep the keyboard in the editor.
      else input.current?.focus();
    }
  };
  const add = (event: Event) => {
    event.preventDefault();
    const tags = kept.current().tags.split(',').map((tag) => tag.trim()).filter(Boolean);
    if (tags.length > 0) void apply(tags, 'add');
  };
  return (
    <form class="form" onSubmit={add} aria-label="Edit tags">
      {contact.tags.length > 0 && (
        <ul class="tags" aria-label="Current tags">
          {contact.tags.map((tag) => (
            <li class="chip" key={tag}>
              {tag}
              <button type="button" class="chip-x" aria-label={`Remove tag ${tag}`} aria-disabled={action.busy} onClick={() => void apply([tag], 'remove')}>×</button>
            </li>
          ))}
        </ul>
      )}
      <label class="field">
        <span>New tags, comma-separated</span>
        <input ref={input} value={draft} maxLength={500} onInput={(event) => kept.set({ tags: event.currentTarget.value })} placeholder="vip, renewal-2027" />
      </label>
      <button type="submit" class="btn btn-primary" aria-disabled={action.busy || !draft.trim()}>Add tags</button>
      <ActionStatus state={action.state} />
      <DraftStatus error={action.state.status === 'idle' ? kept.error : null} dirty={!!draft} onDiscard={kept.clear} />
    </form>
  );
}
