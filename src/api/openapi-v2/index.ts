export { openapiV2, type OpenAPIV2 } from './document.js';
export { encodeOpenAPIV2, OPENAPI_V2_PROTOBUF } from './proto.js';
