/** Agile CRM answers XML unless the request says `Accept: application/json`; the sandbox does the same. */

const escapeXml = (text: string): string =>
  text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);

function element(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (typeof value === 'object') {
    const children = Object.entries(value).map(([key, child]) => element(key, child)).join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** @example toXml('contacts', 'contact', [{ id: 1 }]) // '<?xml …?><contacts><contact><id>1</id></contact></contacts>' */
export function toXml(root: string, item: string, value: unknown): string {
  const body = Array.isArray(value) ? `<${root}>${element(item, value)}</${root}>` : element(item, value);
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>${body}`;
}
