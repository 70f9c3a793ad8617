/**
 * How authentication-certificate names the certificate a request presents (ctx.clientCertificate,
 * looked up in the generation's certificates): its id, or, when the compiler could not read the
 * certificate files to resolve a thumbprint to an id (a policy compiled alone), `sha1:<THUMBPRINT>`,
 * which the generation also maps. A certificate id never holds ':', so the two cannot collide.
 */
export function thumbprintRef(thumbprint: string): string {
  return `sha1:${thumbprint}`;
}

/** 40 hex digits, as APIM shows a thumbprint (any case; spaces and colons some tools print are refused). */
export const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
