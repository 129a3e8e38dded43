import { send } from '../send';
import { useDraft } from '../drafts';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';
import { DraftStatus } from './DraftStatus';

/** Adds a note to the contact; what is typed is a draft until it is saved (drafts.ts). */
export function NoteForm({ id }: { id: string }) {
  const draft = useDraft(`note:${id}`, { subject: '', description: '' });
  const { subject, description } = draft.fields;
  const action = useAction(() => send({ type: 'addNote', id, ...draft.current() }), () => 'Note added.', (error) => draft.failed(error.message));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await action.run()) draft.clear();
  };
  return (
    <form class="form" onSubmit={submit} aria-label="Add a note">
      <label class="field">
        <span>Subject</span>
        <input value={subject} required maxLength={500} onInput={(event) => draft.set({ subject: event.currentTarget.value })} />
      </label>
      <label class="field">
        <span>Note</span>
        <textarea rows={3} value={description} maxLength={20000} onInput={(event) => draft.set({ description: event.currentTarget.value })} />
      </label>
      <button type="submit" class="btn btn-primary" aria-disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Save note'}
      </button>
      <ActionStatus state={action.state} />
      <DraftStatus error={action.state.status === 'idle' ? draft.error : null} dirty={!!(subject || description)} onDiscard={draft.clear} />
    </form>
  );
}
