import { useState } from 'preact/hooks';
import { send } from '../send';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';

/** Adds a note to the contact; on failure the text stays in the form. */
export function NoteForm({ id }: { id: string }) {
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction(() => send({ type: 'addNote', id, subject, description }), () => 'Note added.');
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await action.run()) {
      setSubject('');
      setDescription('');
    }
  };
  return (
    <form class="form" onSubmit={submit} aria-label="Add a note">
      <label class="field">
        <span>Subject</span>
        <input value={subject} required maxLength={500} onInput={(event) => setSubject(event.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Note</span>
        <textarea rows={3} value={description} maxLength={20000} onInput={(event) => setDescription(event.currentTarget.value)} />
      </label>
      <button type="submit" class="btn btn-primary" aria-disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Save note'}
      </button>
      <ActionStatus state={action.state} />
    </form>
  );
}
