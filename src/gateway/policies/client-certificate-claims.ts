/**
 * What validate-client-certificate compares: distinguished names (as APIM writes them,
 * "CN=api, O=\"Contoso, Inc.\", C=US", against Node's newline-separated form), thumbprints and
 * serial numbers (hex, case and separators ignored).
 */

/** A DN's attributes as "TYPE=value" strings, type uppercased, value trimmed and lowercased; null when malformed. */
export function parseDistinguishedName(dn: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < dn.length) {
    while (dn[i] === ' ' || dn[i] === ',' || dn[i] === ';') i++;
    if (i >= dn.length) break;
    const eq = dn.indexOf('=', i);
    if (eq < 0) return null;
    const type = dn.slice(i, eq).trim().toUpperCase();
    if (!/^[A-Z][A-Z0-9.-]*$/.test(type)) return null;
    i = eq + 1;
    while (dn[i] === ' ') i++;
    let value = '';
    if (dn[i] === '"') {
      const end = dn.indexOf('"', i + 1);
      if (end < 0) return null;
      value = dn.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < dn.length && dn[i] !== ',' && dn[i] !== ';') {
        if (dn[i] === '\\' && i + 1 < dn.length) { value += dn[i + 1]; i += 2; continue; }
        value += dn[i++];
      }
    }
    out.push(`${type}=${value.trim().toLowerCase()}`);
  }
  return out.length === 0 ? null : out;
}

/** Node's X509Certificate.subject / .issuer ("C=US\nO=Contoso, Inc.\nCN=api") in the same form. */
export function nodeDistinguishedName(text: string): string[] {
  return text.split('\n').filter((l) => l.includes('=')).map((line) => {
    const eq = line.indexOf('=');
    return `${line.slice(0, eq).trim().toUpperCase()}=${line.slice(eq + 1).trim().toLowerCase()}`;
  });
}

/** Same attributes, in any order (.NET and OpenSSL print a DN in opposite orders). */
export function sameDistinguishedName(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const rest = [...b];
  for (const x of a) {
    const at = rest.indexOf(x);
    if (at < 0) return false;
    rest.splice(at, 1);
  }
  return true;
}

/** Hex without separators, uppercased, leading zeros dropped (serial numbers print with or without them). */
export function normalHex(value: string, dropLeadingZeros: boolean): string {
  const hex = value.replace(/[\s:-]/g, '').toUpperCase();
  return dropLeadingZeros ? hex.replace(/^0+(?=.)/, '') : hex;
}

/** The dNSName entries of a certificate's subjectAltName ("DNS:a, DNS:b, IP Address:…"), lowercased. */
export function dnsNames(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName.split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
}
