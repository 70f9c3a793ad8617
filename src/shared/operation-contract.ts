/**
 * An operation's declared contract as workers hold it (compiled from the config's operation
 * fields, api-contract-schema.ts): what the validation policies check requests and responses
 * against. Carried in the table's meta for operations that declare anything; others have none.
 */
import type { ParameterType } from './api-contract-schema.js';

export interface ParameterSpec {
  /** As declared; header names lowercased. */
  name: string;
  required: boolean;
  type: ParameterType;
}

export interface RepresentationSpec {
  /** Lowercased media type, e.g. "application/json". */
  contentType: string;
  /** The schema's id (a `schemas` entity, or "" for an inline one), for error messages. */
  schemaName: string;
  /** The JSON schema document, or null when the content type is declared without one. */
  schema: Record<string, unknown> | null;
}

export interface ResponseSpec {
  status: number;
  headers: ParameterSpec[];
  representations: RepresentationSpec[];
}

export interface OperationContract {
  query: ParameterSpec[];
  /** Template parameters ({id}) are always declared: typed here when `parameters` types them. */
  path: ParameterSpec[];
  headers: ParameterSpec[];
  request: RepresentationSpec[];
  responses: ResponseSpec[];
}
