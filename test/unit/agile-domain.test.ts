import { describe, expect, it } from 'vitest';
import { AgileDomainError, fillDomain, parseAgileDomain } from '../../src/shared/agile-domain';

describe('parseAgileDomain', () => {
  it.each([
    ['acme', 'acme'],
    ['ACME', 'acme'],
    ['acme.agilecrm.com', 'acme'],
    ['https://Acme.agilecrm.com/#contacts', 'acme'],
    ['  my-team  ', 'my-team'],
    ['a1', 'a1'],
  ])('accepts %j as %j', (input, domain) => {
    expect(parseAgileDomain(input)).toBe(domain);
  });

  it.each([
    'evil.com#', 'a.b', '..', 'x@y', '%2e', '%2e%2e', 'аcme' /* Cyrillic а */, 'ａｃｍｅ' /* full-width */, 'acme\u200b',
    '', '   ', 'a'.repeat(200), '-acme', 'acme-', 'ac_me', 'acme/..', 'acme:443', 'evil.com/acme', 'acme.agilecrm.com.evil.com',
    'https://evil.com/acme.agilecrm.com', 'acme?x=1', 'acme\n.evil.com',
  ])('refuses %j', (input) => {
    expect(() => parseAgileDomain(input)).toThrow(AgileDomainError);
  });

  it('fills URL templates only with a validated domain', () => {
    expect(fillDomain('https://{domain}.agilecrm.com/dev/api', 'acme')).toBe('https://acme.agilecrm.com/dev/api');
    expect(() => fillDomain('https://{domain}.agilecrm.com/dev/api', 'evil.com#')).toThrow(AgileDomainError);
  });
});
