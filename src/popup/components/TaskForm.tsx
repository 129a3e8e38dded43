import { send } from '../send';
import { TASK_PRIORITIES, TASK_TYPES, type TaskPriority, type TaskType } from '../../shared/records';
import { useDraft } from '../drafts';
import { label, shortDate } from '../format';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';
import { DraftStatus } from './DraftStatus';

/** Tomorrow in the rep's own time zone, as a date input wants it. */
function tomorrow(): string {
  const day = new Date();
  day.setDate(day.getDate() + 1);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
}

const pick = <T extends string>(value: string, allowed: readonly T[], fallback: T): T => (allowed.includes(value as T) ? (value as T) : fallback);

/** Adds a task for the contact (due at 9:00 local time on the chosen day); what is typed is a draft until saved. */
export function TaskForm({ id }: { id: string }) {
  const draft = useDraft(`task:${id}`, { subject: '', type: 'FOLLOW_UP', priority: 'NORMAL', day: tomorrow() });
  const { subject, day } = draft.fields;
  // A draft is read back from storage: only known values reach Agile CRM.
  const type = pick<TaskType>(draft.fields.type, TASK_TYPES, 'FOLLOW_UP');
  const priority = pick<TaskPriority>(draft.fields.priority, TASK_PRIORITIES, 'NORMAL');
  const set = (name: keyof typeof draft.fields) => (event: Event) => draft.set({ [name]: (event.currentTarget as HTMLInputElement).value });
  const action = useAction(
    () => {
      const now = draft.current();
      const task = { subject: now.subject, type: pick<TaskType>(now.type, TASK_TYPES, 'FOLLOW_UP'), priority: pick<TaskPriority>(now.priority, TASK_PRIORITIES, 'NORMAL') };
      return send({ type: 'addTask', id, task: { ...task, due: Math.floor(new Date(`${now.day}T09:00`).getTime() / 1000) } });
    },
    (task) => `Task added${task.due !== null ? `, due ${shortDate(task.due)}` : ''}.`,
    (error) => draft.failed(error.message),
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await action.run()) draft.clear();
  };
  return (
    <form class="form" onSubmit={submit} aria-label="Add a task">
      <label class="field">
        <span>Task</span>
        <input value={subject} required maxLength={500} onInput={set('subject')} placeholder="Send the proposal" />
      </label>
      <div class="row">
        <label class="field">
          <span>Type</span>
          <select value={type} onChange={set('type')}>
            {TASK_TYPES.map((value) => <option value={value} key={value}>{label(value)}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Priority</span>
          <select value={priority} onChange={set('priority')}>
            {TASK_PRIORITIES.map((value) => <option value={value} key={value}>{label(value)}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Due</span>
          <input type="date" value={day} required onInput={set('day')} />
        </label>
      </div>
      <button type="submit" class="btn btn-primary" aria-disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Save task'}
      </button>
      <ActionStatus state={action.state} />
      <DraftStatus error={action.state.status === 'idle' ? draft.error : null} dirty={!!subject} onDiscard={draft.clear} />
    </form>
  );
}
