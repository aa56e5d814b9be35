// What a resource module tells the generic store: its identity (for URLs, discovery, keys, errors)
// and its strategy (defaults, validation, table columns, selectable fields) — kube's RESTStrategy.

import type { FieldError } from '../api/field-errors.js';
import type { KObject } from '../api/types.js';
import type { PatchHints } from '../api/patch/index.js';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  storageVersionHash?: string;
  subresources?: SubresourceInfo[];
}

export interface SubresourceInfo {
  name: string;
  kind: string;
  verbs: string[];
  /** Response kind's group/version when it differs from the parent's (e.g. TokenRequest). */
  group?: string;
  version?: string;
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface TableConvertor {
  columns: TableColumn[];
  cells(obj: KObject, now: number): unknown[];
}

export interface Strategy {
  info: ResourceInfo;
  /** Runs on every decoded request body (kube's versioned defaulting and conversion). */
  normalize(obj: KObject): void;
  prepareForCreate(obj: KObject): void;
  prepareForUpdate(obj: KObject, old: KObject): void;
  validate(obj: KObject): FieldError[];
  validateUpdate(obj: KObject, old: KObject): FieldError[];
  /** Runs after validation, before storing: the stored form (e.g. empty maps dropped). */
  canonicalize?(obj: KObject): void;
  /** Non-fatal findings returned as Warning headers. */
  warnings(obj: KObject, old?: KObject): string[];
  /** Values field selectors may test, e.g. { 'metadata.name': …, type: … }. */
  selectableFields(obj: KObject): Record<string, string>;
  table: TableConvertor;
  patchHints: PatchHints;
  /** Unconditional PUT (no resourceVersion) allowed. */
  allowUnconditionalUpdate: boolean;
  /** PUT may create a missing object. */
  allowCreateOnUpdate: boolean;
}

/** Who is asking; filled by authentication. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Per-request options the store honours. */
export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  user: UserInfo;
  /** Warnings collected for the response. */
  warnings: string[];
  /** Server-side apply already computed managedFields; the store must keep them as given. */
  managedFieldsDone?: boolean;
}
