/** What a card's buttons open, loaded on first use as one chunk (lazy.tsx). */
export { AddContactForm } from './components/AddContactForm';
export { ContactDetails } from './components/ContactDetails';
export { NoteForm } from './components/NoteForm';
export { TagEditor } from './components/TagEditor';
export { TaskForm } from './components/TaskForm';
