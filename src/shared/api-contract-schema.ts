/**
 * What an operation declares about its requests and responses (APIM's API schema, as an OpenAPI
 * import fills it): parameters (query, path, header) with their type, the request's content
 * types with a JSON schema, and the responses by status code with their headers and content
 * types. The validation policies (validate-parameters, validate-headers, validate-status-code,
 * validate-content) check traffic against it. Plus the config's `schemas` entities (APIM's
 * service-level schemas, named by validate-content's schema-id).
 *
 * Everything is optional: an operation that declares nothing has no parameters, no content types
 * and no responses, so the validation policies see everything as unspecified (as APIM does for
 * an API whose schema lists nothing).
 */
import { z } from 'zod';
import { jsonSchemaProblem } from './json-schema.js';

/** The scalar types APIM checks a parameter's or header's value against. */
export const PARAMETER_TYPES = ['string', 'integer', 'number', 'boolean'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** APIM's limit on an API schema's size (the validation policies refuse larger ones). */
export const MAX_SCHEMA_BYTES = 4 * 1024 * 1024;

const nameSchema = z.string().min(1).max(256);

const parameterSchema = z.object({
  name: nameSchema,
  in: z.enum(['query', 'path', 'header']),
  required: z.boolean().default(false),
  type: z.enum(PARAMETER_TYPES).default('string'),
}).strict();

const headerSchema = z.object({
  name: nameSchema.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name (an RFC 9110 token)'),
  required: z.boolean().default(false),
  type: z.enum(PARAMETER_TYPES).default('string'),
}).strict();

/** A JSON schema document, bounded in size and checked by the validator that will run it. */
const jsonSchemaDocument = z.record(z.unknown()).superRefine((doc, ctx) => {
  const problem = jsonSchemaProblem(doc);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const representationSchema = z.object({
  /** A media type such as application/json (compared case-insensitively, without parameters). */
  contentType: z.string().min(1).max(256).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a media type such as application/json (no parameters)'),
  /** The id of a `schemas` entity. */
  schemaId: z.string().min(1).max(256).optional(),
  /** An inline JSON schema (what an OpenAPI import puts here). */
  schema: jsonSchemaDocument.optional(),
}).strict().refine((r) => r.schemaId === undefined || r.schema === undefined, 'give schemaId or schema, not both');

export const operationContractFields = {
  parameters: z.array(parameterSchema).max(200).optional(),
  request: z.object({ representations: z.array(representationSchema).max(50).default([]) }).strict().optional(),
  responses: z.array(z.object({
    statusCode: z.number().int().min(100).max(599),
    headers: z.array(headerSchema).max(100).default([]),
    representations: z.array(representationSchema).max(50).default([]),
  }).strict()).max(100).optional(),
};

/** A service-level schema (APIM's Schemas page): reused across APIs by validate-content schema-id. */
export const schemaEntitySchema = z.object({
  id: z.string().min(1).max(256).regex(/^[A-Za-z0-9._~-]+$/, 'letters, digits and . _ ~ - only'),
  /** Only JSON schemas: Outpost has no XSD validator (README, validate-content). */
  type: z.literal('json', { errorMap: () => ({ message: 'must be "json" (XML schemas are not supported)' }) }).default('json'),
  document: jsonSchemaDocument,
}).strict();

export type SchemaEntity = z.output<typeof schemaEntitySchema>;
