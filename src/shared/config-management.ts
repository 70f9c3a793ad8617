/**
 * The API management part of the config: products, subscriptions, named values and policies.
 * Policies are checked here only for shape (a mapping of sections or a string of APIM XML); the
 * policy compiler checks their content and reports problems at the same field paths.
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';
import { DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY } from './config-fast-path.js';

const ID = /^[A-Za-z0-9._~-]+$/;
const SHA256_KEY = /^sha256:[0-9a-f]{64}$/;

/** Policies: `{ inbound: [...], backend: [...], outbound: [...], on-error: [...] }` or APIM policy XML. */
export const policiesSchema = z.union([
  z.string().min(1),
  z.record(z.string(), z.unknown()),
], { errorMap: () => ({ message: 'must be a mapping of sections (inbound, backend, outbound, on-error) or a string of APIM policy XML' }) });

/** A key in plain text, or its hash as `sha256:<64 hex digits>` (the compiled table only ever holds hashes). */
const keySchema = z.string().superRefine((k, ctx) => {
  if (k.startsWith('sha256:')) {
    if (!SHA256_KEY.test(k)) ctx.addIssue({ code: 'custom', message: 'a hashed key must be sha256: followed by 64 lowercase hex digits' });
  } else if (k.length < 16) {
    ctx.addIssue({ code: 'custom', message: 'a subscription key needs at least 16 characters' });
  }
});

export const productSchema = z.object({
  id: z.string().min(1).regex(ID, 'letters, digits and . _ ~ - only'),
  name: z.string().min(1),
  apis: z.array(z.string().min(1)).default([]),
  subscriptionRequired: z.boolean().default(true),
  policies: policiesSchema.optional(),
}).strict();

/** A pre-hashed key: what a control plane sends, so a gateway (and its backup) never holds a plain key. */
const keyHashSchema = z.string().regex(SHA256_KEY, 'must be sha256: followed by 64 lowercase hex digits (the SHA-256 of the key\'s UTF-8 bytes)');

export const subscriptionSchema = z.object({
  id: z.string().min(1).regex(ID, 'letters, digits and . _ ~ - only'),
  /** "/products/{id}", "/apis/{id}" or "/apis" (all APIs). */
  scope: z.string().regex(/^\/(products\/[A-Za-z0-9._~-]+|apis(\/[A-Za-z0-9._~-]+)?)$/, 'must be /products/{id}, /apis/{id} or /apis'),
  /** Each key is given once: in plain text (`primaryKey`) or as its hash (`primaryKeyHash`). */
  primaryKey: keySchema.optional(),
  primaryKeyHash: keyHashSchema.optional(),
  secondaryKey: keySchema.optional(),
  secondaryKeyHash: keyHashSchema.optional(),
  state: z.enum(['active', 'suspended']).default('active'),
  /** ISO-8601; after it the subscription is expired (403). */
  expiresAt: z.string().datetime({ offset: true, message: 'must be an ISO-8601 date-time such as 2027-01-31T00:00:00Z' }).optional(),
}).strict().superRefine((s, ctx) => {
  if (s.primaryKey === undefined && s.primaryKeyHash === undefined) ctx.addIssue({ code: 'custom', path: ['primaryKey'], message: 'a subscription needs primaryKey or primaryKeyHash' });
  if (s.primaryKey !== undefined && s.primaryKeyHash !== undefined) ctx.addIssue({ code: 'custom', path: ['primaryKeyHash'], message: 'give primaryKey or primaryKeyHash, not both' });
  if (s.secondaryKey !== undefined && s.secondaryKeyHash !== undefined) ctx.addIssue({ code: 'custom', path: ['secondaryKeyHash'], message: 'give secondaryKey or secondaryKeyHash, not both' });
});

export const namedValueSchema = z.object({
  /** Used as `{{name}}` in policies. */
  name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only'),
  value: z.string(),
  /** Secret values are never logged or shown; they still substitute. */
  secret: z.boolean().default(false),
}).strict();

export const subscriptionKeyNamesSchema = z.object({
  header: z.string().min(1).regex(/^[A-Za-z0-9-]+$/, 'must be a header name').default(DEFAULT_KEY_HEADER),
  query: z.string().min(1).default(DEFAULT_KEY_QUERY),
}).strict();

/** The largest policy fragment APIM accepts (32 KB of XML): the same bound here. */
export const MAX_FRAGMENT_BYTES = 32 * 1024;

/**
 * A policy fragment (APIM's policyFragments): policies written once and inserted where a policy
 * document says `<include-fragment fragment-id="id" />`. The policy is APIM's `<fragment>` XML or,
 * in YAML, a list of policies as in a section.
 */
export const fragmentSchema = z.object({
  id: z.string().min(1).max(80).regex(ID, 'letters, digits and . _ ~ - only'),
  description: z.string().max(1000).optional(),
  policy: z.union([
    z.string().min(1).refine((x) => Buffer.byteLength(x, 'utf8') <= MAX_FRAGMENT_BYTES, `a fragment holds at most ${MAX_FRAGMENT_BYTES} bytes of XML (as in APIM)`),
    z.array(z.unknown()).min(1),
  ], { errorMap: () => ({ message: 'must be APIM <fragment> XML or a list of policies' }) }),
}).strict();
