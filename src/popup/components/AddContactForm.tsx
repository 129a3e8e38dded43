import type { Contact } from '../../shared/contact';
import type { PageEmail } from '../../shared/messages';
import { send } from '../send';
import { contactDraftKey, useDraft } from '../drafts';
import { companyFromEmail, splitName } from '../format';
import { useAction } from '../use-action';
import { ActionStatus } from './ActionStatus';
import { DraftStatus } from './DraftStatus';


/** Adds an email that is not in Agile CRM, prefilled with what the page says about it; a draft until added. */
export function AddContactForm({ person, onAdded }: { person: PageEmail; onAdded(contact: Contact): void }) {
  const prefilled = { ...splitName(person.name), company: companyFromEmail(person.email), title: '', phone: '', tags: '' };
  const draft = useDraft(contactDraftKey(person.email), prefilled);
  const { fields } = draft;
  const set = (name: keyof typeof fields) => (event: Event) => draft.set({ [name]: (event.currentTarget as HTMLInputElement).value });
  const action = useAction(
    () => {
      const now = draft.current();
      return send({ type: 'addContact', contact: { ...now, email: person.email, tags: now.tags.split(',').map((tag) => tag.trim()).filter(Boolean) } });
    },
    (contact) => `${contact.name} was added to Agile CRM.`,
    (error) => draft.failed(error.message),
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    const contact = await action.run();
    if (contact) {
      draft.clear();
      onAdded(contact);
    }
  };
  const dirty = Object.keys(prefilled).some((name) => fields[name as keyof typeof fields] !== prefilled[name as keyof typeof prefilled]);
  return (
    <form class="form" onSubmit={submit} aria-label={`Add ${person.email} to Agile CRM`}>
      <div class="row">
        <label class="field"><span>First name</span><input name="firstName" autocomplete="given-name" value={fields.firstName} required maxLength={100} onInput={set('firstName')} /></label>
        <label class="field"><span>Last name</span><input name="lastName" autocomplete="family-name" value={fields.lastName} maxLength={100} onInput={set('lastName')} /></label>
      </div>
      <div class="row">
        <label class="field"><span>Company</span><input name="company" autocomplete="organization" value={fields.company} maxLength={200} onInput={set('company')} /></label>
        <label class="field"><span>Title</span><input name="title" autocomplete="organization-title" value={fields.title} maxLength={200} onInput={set('title')} /></label>
      </div>
      <div class="row">
        <label class="field"><span>Phone</span><input name="phone" autocomplete="tel" value={fields.phone} type="tel" maxLength={50} onInput={set('phone')} /></label>
        <label class="field"><span>Tags</span><input name="tags" value={fields.tags} maxLength={500} onInput={set('tags')} placeholder="lead" /></label>
      </div>
      <button type="submit" class="btn btn-primary" aria-disabled={action.busy}>
        {action.busy ? 'Adding…' : 'Add to Agile CRM'}
      </button>
      <ActionStatus state={action.state} />
      <DraftStatus error={action.state.status === 'idle' ? draft.error : null} dirty={dirty} onDiscard={draft.clear} />
    </form>
  );
}
