/**
 * Agile CRM's notes, tasks and deals as the extension shows them: ids as strings, times as epoch seconds.
 * (Parsed from Agile's JSON next to the client, in background/agile-records.ts.)
 */

export interface Note {
  id: string;
  createdTime: number | null;
  subject: string;
  description: string;
}

export type TaskType = 'CALL' | 'EMAIL' | 'FOLLOW_UP' | 'MEETING' | 'MILESTONE' | 'SEND' | 'TWEET' | 'OTHER';
export type TaskPriority = 'HIGH' | 'NORMAL' | 'LOW';
export const TASK_TYPES: readonly TaskType[] = ['CALL', 'EMAIL', 'FOLLOW_UP', 'MEETING', 'MILESTONE', 'SEND', 'TWEET', 'OTHER'];
export const TASK_PRIORITIES: readonly TaskPriority[] = ['HIGH', 'NORMAL', 'LOW'];

export interface Task {
  id: string;
  subject: string;
  type: string;
  priority: string;
  due: number | null;
  complete: boolean;
}

export interface Deal {
  id: string;
  name: string;
  /** Agile's `expected_value`, decimals kept. */
  value: number | null;
  /** ISO 4217 code from the deal's `prefs.currency` (the account's currency), when Agile gives one. */
  currency: string | null;
  milestone: string;
  probability: number | null;
  closeDate: number | null;
}
