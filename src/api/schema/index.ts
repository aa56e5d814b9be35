// The API schema: a registry of type and kind descriptions (model.ts), the built-in kinds
// (imported here for their registrations), and what is derived from them: OpenAPI v3 documents
// and kube-style strict/type decoding errors.

import './meta-v1.js';
import './core-v1.js';
import './rbac-v1.js';
import './authorization-v1.js';
import './serviceaccount-v1.js';
import './authentication-v1.js';

export {
  fieldGoType, goTypeName, groupVersionPath, kindSchema, kindSchemas, parseGroupVersionPath, registerKindSchema, registerTypes, schemaRevision, typeDef,
  type FieldSpec, type FieldType, type GroupVersion, type GVK, type KindSchema, type ResourceSchema, type SubresourceSchema, type TypeDef, type ValueType, type Verb,
} from './model.js';
export { openapiV3Document, openapiV3DocumentJSON, openapiV3GroupVersions, openapiV3Root } from './openapi.js';
export { dropUnknownFields, findTypeErrors, findUnknownFields } from './strict.js';
export { goBase64Error, goTimeParseError } from './go-decode.js';
