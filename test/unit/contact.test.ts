import { describe, expect, it } from 'vitest';
import { contactUrl, formatAddress } from '../../src/popup/format';
import { ContactParseError, parseContact } from '../../src/shared/contact';

/** Agile's documented example contact, abridged, with the quirks clients meet. */
const DOCUMENTED = {
  id: 5629585249009664, type: 'PERSON', created_time: 1469170109, updated_time: 1469764466, star_value: 4, lead_score: 5,
  tags: ['lead'],
  tagsWithTime: [{ tag: 'lead', createdTime: 1469510469602, availableCount: 0, entity_type: 'tag' }],
  properties: [
    { type: 'SYSTEM', name: 'first_name', value: 'Brad' },
    { type: 'SYSTEM', name: 'last_name', value: 'Keywell' },
    { type: 'SYSTEM', name: 'company', value: 'Uptake Technologies' },
    { type: 'SYSTEM', name: 'title', value: 'Co-Founder and CEO' },
    { type: 'SYSTEM', name: 'image', value: 'https://example.com/brad.png' },
    { name: 'email', value: 'brad@example.com', subtype: 'work' },
    { name: 'email', value: 'BRAD.K@mail.example', subtype: '' },
    { name: 'phone', value: '8888888888', subtype: 'work' },
    { name: 'phone', value: '+1 555 0100', subtype: 'mobile' },
    { name: 'website', value: 'https://www.linkedin.com/in/x', subtype: 'LINKEDIN' },
    { name: 'address', value: '{"address":"120 Street","city":"Detroit","state":"Michigan","zip":"48201","country":"US"}' },
    { name: 'Text field test', type: 'CUSTOM', value: 'some text' },
    { name: 'Date of Joining', type: 'CUSTOM', value: 1279132200 },
  ],
  entity_type: 'contact_entity', contact_company_id: '5649189358796800',
  owner: { id: 6263975862861824, domain: 'acme', email: 'owner@example.com', name: 'Owner Name', pic: 'https://…' },
};

describe('parseContact', () => {
  it('reads the documented example into one typed Contact', () => {
    const contact = parseContact(DOCUMENTED);
    expect(contact).toMatchObject({
      id: '5629585249009664', type: 'PERSON', firstName: 'Brad', lastName: 'Keywell', name: 'Brad Keywell',
      title: 'Co-Founder and CEO', company: 'Uptake Technologies', companyId: '5649189358796800',
      image: 'https://example.com/brad.png', tags: ['lead'], leadScore: 5, starValue: 4,
      owner: { id: '6263975862861824', name: 'Owner Name', email: 'owner@example.com' },
      createdTime: 1469170109, updatedTime: 1469764466,
    });
    expect(contact.emails).toEqual([{ value: 'brad@example.com', subtype: 'work' }, { value: 'BRAD.K@mail.example', subtype: '' }]);
    expect(contact.phones).toEqual([{ value: '8888888888', subtype: 'work' }, { value: '+1 555 0100', subtype: 'mobile' }]);
    expect(contact.websites).toEqual([{ value: 'https://www.linkedin.com/in/x', subtype: 'LINKEDIN' }]);
    expect(contact.address).toMatchObject({ address: '120 Street', city: 'Detroit', state: 'Michigan', zip: '48201', country: 'US' });
    expect(contact.customFields).toEqual([{ name: 'Text field test', value: 'some text' }, { name: 'Date of Joining', value: 1279132200 }]);
  });

  it('keeps ids as strings whether Agile sent a number or a string', () => {
    expect(parseContact({ ...DOCUMENTED, id: '5629585249009664' }).id).toBe('5629585249009664');
    expect(parseContact({ ...DOCUMENTED, contact_company_id: 5649189358796800 }).companyId).toBe('5649189358796800');
    expect(parseContact({ ...DOCUMENTED, created_time: '1469170109' }).createdTime).toBe(1469170109);
  });

  it('tolerates an address that is not JSON, keeping its text when it reads as an address', () => {
    const contact = parseContact({ ...DOCUMENTED, properties: [{ name: 'address', value: 'Near the old mill, Detroit' }] });
    expect(contact.address).toEqual({ text: 'Near the old mill, Detroit' });
    expect(formatAddress(contact.address!)).toBe('Near the old mill, Detroit');
    const address = (value: string) => parseContact({ ...DOCUMENTED, properties: [{ name: 'address', value }] }).address;
    expect(address('"12 Rue de la Paix, Paris"')).toEqual({ text: '12 Rue de la Paix, Paris' });
    for (const garbage of ['{not json', '[1,2]', '{"address":"","city":"","state":"","zip":"","country":""}', 'null', '12', '<b>x</b>', '}}}', 'undefined', '   ']) {
      expect(address(garbage), garbage).toBeNull();
    }
  });

  it('skips malformed properties instead of losing the contact', () => {
    const contact = parseContact({
      id: 1, properties: [null, 7, { value: 'no name' }, { name: 'email', value: 'ok@example.com' }, { name: 'phone', value: { nested: true } }],
    });
    expect(contact.emails).toEqual([{ value: 'ok@example.com', subtype: '' }]);
    expect(contact.phones).toEqual([]);
    expect(contact.name).toBe('ok@example.com');
  });

  it('names companies by their name property', () => {
    const company = parseContact({ id: 2, type: 'COMPANY', properties: [{ type: 'SYSTEM', name: 'name', value: 'Uptake' }, { type: 'SYSTEM', name: 'url', value: 'https://uptake.example' }] });
    expect(company).toMatchObject({ type: 'COMPANY', name: 'Uptake', customFields: [] });
  });

  it('refuses something without an id', () => {
    expect(() => parseContact({ properties: [] })).toThrow(ContactParseError);
    expect(() => parseContact(null)).toThrow(ContactParseError);
    expect(() => parseContact({ id: 'abc' })).toThrow(ContactParseError);
  });

  it.each([
    { lead_score: '' }, { lead_score: 'N/A' }, { star_value: '' }, { created_time: '' }, { updated_time: false }, { tags: 'vip' },
    { type: 'LEAD' }, { contact_company_id: '' }, { contact_company_id: 'none' },
  ])('a field in an odd shape (%j) is left out, never the contact: it would read as "not in Agile CRM"', (odd) => {
    const contact = parseContact({ id: 4, properties: [{ type: 'SYSTEM', name: 'first_name', value: 'Ada' }, { name: 'email', value: 'ada@example.com' }], ...odd });
    expect(contact).toMatchObject({ id: '4', name: 'Ada', type: 'PERSON', leadScore: 0, starValue: 0, companyId: '', tags: [] });
    expect(contact.emails).toEqual([{ value: 'ada@example.com', subtype: '' }]);
  });

  it('a property named like a built-in (valueOf, constructor, toString) is a custom field like any other', () => {
    const contact = parseContact({ id: 5, properties: [{ name: 'valueOf', value: '!' }, { name: 'constructor', value: 'Bob the Builder' }, { name: 'toString', value: 3 }, { name: 'email', value: 'ada@example.com' }] });
    expect(contact.customFields).toEqual([{ name: 'valueOf', value: '!' }, { name: 'constructor', value: 'Bob the Builder' }, { name: 'toString', value: 3 }]);
    expect(contact.emails).toEqual([{ value: 'ada@example.com', subtype: '' }]);
  });

  it('drops tags that are not strings and defaults missing numbers', () => {
    const contact = parseContact({ id: 3, tags: ['a', 5, null, ''], lead_score: null });
    expect(contact.tags).toEqual(['a']);
    expect(contact.leadScore).toBe(0);
    expect(contact.owner).toBeNull();
  });
});

describe('formatAddress and contactUrl', () => {
  it('joins the parts a rep reads on an envelope', () => {
    expect(formatAddress({ address: '120 Street', city: 'Detroit', state: 'Michigan', zip: '48201', country: 'US', text: '' }))
      .toBe('120 Street, Detroit, Michigan 48201, US');
  });
  it('shows nothing for text that does not read as an address (a contact cached by an older version)', () => {
    expect(formatAddress({ text: '{not json' })).toBe('');
    expect(formatAddress({ text: 'Near the old mill' })).toBe('Near the old mill');
  });
  it('links to the contact in the Agile CRM web app', () => {
    expect(contactUrl('https://acme.agilecrm.com/', '5629585249009664')).toBe('https://acme.agilecrm.com/#contact/5629585249009664');
  });
});
