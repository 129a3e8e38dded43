/**
 * An Agile CRM account is a subdomain: `acme` in `https://acme.agilecrm.com`. Everything that builds a URL from
 * a domain a person typed goes through `parseAgileDomain`, so no other host can ever be reached.
 */

/** DNS label rules: letters, digits and inner hyphens, at most 63 characters, ASCII only. */
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class AgileDomainError extends Error {
  override name = 'AgileDomainError';
}

/**
 * Accepts what a rep is likely to paste — `acme`, `ACME`, `acme.agilecrm.com`, `https://acme.agilecrm.com/` —
 * and returns the bare subdomain, or throws with a sentence saying what is wrong.
 *
 * @example parseAgileDomain('https://Acme.agilecrm.com/#contacts') // 'acme'
 */
export function parseAgileDomain(input: string): string {
  let domain = input.trim().toLowerCase();
  const url = /^https?:\/\/([^/?#]*)/.exec(domain);
  if (url) domain = url[1] ?? '';
  domain = domain.replace(/\.agilecrm\.com\.?$/, '');
  if (!domain) throw new AgileDomainError('Enter your Agile CRM domain, the part before .agilecrm.com.');
  if (!DOMAIN_LABEL.test(domain)) {
    throw new AgileDomainError(
      'An Agile CRM domain has only letters, digits and hyphens (the "acme" in acme.agilecrm.com).',
    );
  }
  return domain;
}

/** Fills `{domain}` in a configured URL template with a validated domain. */
export function fillDomain(template: string, domain: string): string {
  return template.replaceAll('{domain}', parseAgileDomain(domain));
}

export function templateNeedsDomain(template: string): boolean {
  return template.includes('{domain}');
}
