import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact, CustomField } from '../../shared/contact';
import { hasDraft } from '../drafts';
import { contactUrl, formatAddress, label, safeHttpUrl, shortDate, telUrl, websiteLabel } from '../format';
import { Avatar } from './Avatar';
import { ContactDetails, NoteForm, TagEditor, TaskForm } from '../lazy';

type Panel = 'details' | 'note' | 'tags' | 'task' | null;

function customValue(field: CustomField): string {
  // Agile stores CUSTOM dates as epoch seconds.
  if (typeof field.value === 'number' && /date|time|joined|since|birthday/i.test(field.name) && field.value > 1e8) return shortDate(field.value);
  return String(field.value);
}

function Stars({ value }: { value: number }) {
  const stars = Math.max(0, Math.min(5, Math.round(value)));
  return <span class="stars" role="img" aria-label={`${stars} of 5 stars`}>{'★'.repeat(stars)}{'☆'.repeat(5 - stars)}</span>;
}

/** One Agile CRM contact: who they are, how to reach them, and what the rep can do next. */
export function ContactCard({ contact, webBase, focus = false, onChange }: {
  contact: Contact;
  webBase: string;
  /** Move keyboard focus to this card (it was just added). */
  focus?: boolean;
  onChange(contact: Contact): void;
}) {
  // A form holding a draft comes back open, where the rep left it (drafts.ts).
  const drafted = (['note', 'task', 'tags'] as const).filter((which) => hasDraft(`${which}:${contact.id}`));
  const [panel, setPanel] = useState<Panel>(drafted[0] ?? null);
  // Panels stay mounted once opened, so switching between them keeps what the rep typed.
  const [opened, setOpened] = useState<ReadonlySet<Panel>>(() => new Set(drafted));
  const toggle = (next: Panel) => {
    setOpened((previous) => new Set(previous).add(next));
    setPanel(panel === next ? null : next);
  };
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) heading.current?.focus();
  }, [focus]);
  const name = contact.name || 'Unnamed contact';
  const role = [contact.title, contact.company].filter(Boolean).join(' · ');
  const headingId = `contact-${contact.id}`;
  const websites = contact.websites.map((site) => ({ ...site, href: safeHttpUrl(site.value, site.subtype.toUpperCase() !== 'SKYPE') }));
  const address = contact.address ? formatAddress(contact.address) : '';
  const panelProps = (which: Exclude<Panel, null>) => ({ hidden: panel !== which, id: `${headingId}-${which}` });

  return (
    <article class="card" aria-labelledby={headingId}>
      <header class="card-head">
        <Avatar name={contact.name} image={contact.image} />
        <div class="who">
          <h2 id={headingId} class="name" title={name} tabIndex={-1} ref={heading}>{name}</h2>
          {role && <p class="role" title={role}>{role}</p>}
        </div>
        {webBase && (
          <a class="open" href={contactUrl(webBase, contact.id)} target="_blank" rel="noopener noreferrer"
            aria-label={`Open ${name} in Agile CRM (new tab)`} title="Open in Agile CRM">
            Open ↗
          </a>
        )}
      </header>

      <dl class="facts">
        {contact.emails.map((email) => (
          <div class="fact" key={`e${email.value}`}>
            <dt>{email.subtype ? `${label(email.subtype)} email` : 'Email'}</dt>
            <dd><a href={`mailto:${email.value}`}>{email.value}</a></dd>
          </div>
        ))}
        {contact.phones.map((phone) => {
          const href = telUrl(phone.value);
          return (
            <div class="fact" key={`p${phone.value}`}>
              <dt>{phone.subtype ? `${label(phone.subtype)} phone` : 'Phone'}</dt>
              <dd>{href ? <a href={href}>{phone.value}</a> : phone.value}</dd>
            </div>
          );
        })}
        {address && (
          <div class="fact">
            <dt>Address</dt>
            <dd title={address}>{address}</dd>
          </div>
        )}
        {websites.map((site) => (
          <div class="fact" key={`w${site.value}`}>
            <dt>{websiteLabel(site.subtype)}</dt>
            <dd>{site.href ? <a href={site.href} target="_blank" rel="noopener noreferrer">{site.value}</a> : site.value}</dd>
          </div>
        ))}
        {contact.owner && (
          <div class="fact">
            <dt>Owner</dt>
            <dd>{contact.owner.name || contact.owner.email}</dd>
          </div>
        )}
        {contact.customFields.map((field) => (
          <div class="fact" key={`c${field.name}`}>
            <dt title={field.name}>{field.name}</dt>
            <dd title={customValue(field)}>{customValue(field)}</dd>
          </div>
        ))}
      </dl>

      <div class="meta">
        <span class="score" title="Lead score">Score {contact.leadScore}</span>
        <Stars value={contact.starValue} />
        {contact.tags.length > 0 && panel !== 'tags' && (
          <ul class="tags" aria-label="Tags">
            {contact.tags.map((tag) => <li class="chip" key={tag} title={tag}>{tag}</li>)}
          </ul>
        )}
      </div>

      <div class="actions" role="group" aria-label={`Actions for ${name}`}>
        <button type="button" class="btn" aria-expanded={panel === 'details'} aria-controls={`${headingId}-details`} onClick={() => toggle('details')}>Notes, tasks &amp; deals</button>
        <button type="button" class="btn" aria-expanded={panel === 'note'} aria-controls={`${headingId}-note`} onClick={() => toggle('note')}>Add note</button>
        <button type="button" class="btn" aria-expanded={panel === 'tags'} aria-controls={`${headingId}-tags`} onClick={() => toggle('tags')}>Tags</button>
        <button type="button" class="btn" aria-expanded={panel === 'task'} aria-controls={`${headingId}-task`} onClick={() => toggle('task')}>Add task</button>
      </div>
      {opened.has('details') && <div {...panelProps('details')}><ContactDetails id={contact.id} /></div>}
      {opened.has('note') && <div {...panelProps('note')}><NoteForm id={contact.id} /></div>}
      {opened.has('tags') && <div {...panelProps('tags')}><TagEditor contact={contact} onChange={onChange} /></div>}
      {opened.has('task') && <div {...panelProps('task')}><TaskForm id={contact.id} /></div>}
    </article>
  );
}
