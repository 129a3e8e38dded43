import { useState } from 'preact/hooks';
import { send } from '../send';
import { TASK_PRIORITIES, TASK_TYPES, type TaskPriority, type TaskType } from '../../shared/records';
import { label, shortDate } from '../format';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';

/** Tomorrow in the rep's own time zone, as a date input wants it. */
function tomorrow(): string {
  const day = new Date();
  day.setDate(day.getDate() + 1);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
}

/** Adds a task for the contact (due at 9:00 local time on the chosen day). */
export function TaskForm({ id }: { id: string }) {
  const [subject, setSubject] = useState('');
  const [type, setType] = useState<TaskType>('FOLLOW_UP');
  const [priority, setPriority] = useState<TaskPriority>('NORMAL');
  const [day, setDay] = useState(tomorrow);
  const action = useAction(
    () => send({ type: 'addTask', id, task: { subject, type, priority, due: Math.floor(new Date(`${day}T09:00`).getTime() / 1000) } }),
    (task) => `Task added${task.due !== null ? `, due ${shortDate(task.due)}` : ''}.`,
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    if (await action.run()) setSubject('');
  };
  return (
    <form class="form" onSubmit={submit} aria-label="Add a task">
      <label class="field">
        <span>Task</span>
        <input value={subject} required maxLength={500} onInput={(event) => setSubject(event.currentTarget.value)} placeholder="Send the proposal" />
      </label>
      <div class="row">
        <label class="field">
          <span>Type</span>
          <select value={type} onChange={(event) => setType(event.currentTarget.value as TaskType)}>
            {TASK_TYPES.map((value) => <option value={value} key={value}>{label(value)}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Priority</span>
          <select value={priority} onChange={(event) => setPriority(event.currentTarget.value as TaskPriority)}>
            {TASK_PRIORITIES.map((value) => <option value={value} key={value}>{label(value)}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Due</span>
          <input type="date" value={day} required onInput={(event) => setDay(event.currentTarget.value)} />
        </label>
      </div>
      <button type="submit" class="btn btn-primary" aria-disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Save task'}
      </button>
      <ActionStatus state={action.state} />
    </form>
  );
}
