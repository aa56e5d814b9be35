// authentication.k8s.io/v1: TokenRequest (the body of serviceaccounts/token), TokenReview and
// SelfSubjectReview (create-only resources answered by the server, nothing stored).

import { apiVersionField, int, kindField, list, objectMetaField, ref, str, TIME } from './fields.js';
import { registerKindSchema, type TypeDef } from './model.js';

const AUTHN = 'io.k8s.api.authentication.v1';
const GROUP = 'authentication.k8s.io';

const boundObjectReference: TypeDef = {
  name: `${AUTHN}.BoundObjectReference`,
  description: 'The object a token is bound to: the token stops working when that object is deleted.',
  fields: [
    str('apiVersion', 'API version of the referent.'),
    str('kind', 'Kind of the referent: Pod, Secret or Node.'),
    str('name', 'Name of the referent.'),
    str('uid', 'UID of the referent.', { goType: 'types.UID' }),
  ],
};

const tokenRequestSpec: TypeDef = {
  name: `${AUTHN}.TokenRequestSpec`,
  description: 'What a requested token should be valid for.',
  fields: [
    list('audiences', { type: 'string' }, 'Intended audiences of the token; empty means the API server audiences.', { required: true, extensions: { 'x-kubernetes-list-type': 'atomic' } }),
    ref('boundObjectRef', boundObjectReference.name, 'An object the token is bound to.'),
    int('expirationSeconds', 'int64', 'Requested validity in seconds (default 3600, at least 600). The server may shorten it.'),
  ],
};

const tokenRequestStatus: TypeDef = {
  name: `${AUTHN}.TokenRequestStatus`,
  description: 'The issued token.',
  fields: [
    ref('expirationTimestamp', TIME, 'When the token expires.', { required: true }),
    str('token', 'The opaque bearer token.', { required: true, default: '' }),
  ],
};

const tokenRequest: TypeDef = {
  name: `${AUTHN}.TokenRequest`,
  description: 'Requests a token for a ServiceAccount.',
  fields: [
    apiVersionField, kindField, objectMetaField,
    ref('spec', tokenRequestSpec.name, 'What the token should be valid for.', { required: true, default: {} }),
    ref('status', tokenRequestStatus.name, 'The issued token, filled by the server.', { default: {} }),
  ],
  gvk: [{ group: GROUP, version: 'v1', kind: 'TokenRequest' }],
};

const userInfo: TypeDef = {
  name: `${AUTHN}.UserInfo`,
  description: 'Who a token or request authenticates as.',
  fields: [
    // Go: map[string]ExtraValue, ExtraValue being []string; published free-form here.
    { name: 'extra', type: 'object', description: 'Extra attributes the authenticator provides: each key maps to a list of strings.' },
    list('groups', { type: 'string' }, 'The groups the user belongs to.', { extensions: { 'x-kubernetes-list-type': 'atomic' } }),
    str('uid', 'A unique value that identifies the user across time.'),
    str('username', 'The name that identifies the user.'),
  ],
};

const tokenReviewSpec: TypeDef = {
  name: `${AUTHN}.TokenReviewSpec`,
  description: 'The token to check.',
  fields: [
    list('audiences', { type: 'string' }, 'Audiences the caller accepts; empty means the API server audiences.', { extensions: { 'x-kubernetes-list-type': 'atomic' } }),
    str('token', 'The opaque bearer token.'),
  ],
};

const tokenReviewStatus: TypeDef = {
  name: `${AUTHN}.TokenReviewStatus`,
  description: 'The outcome of a token check.',
  fields: [
    list('audiences', { type: 'string' }, 'Audiences the token is valid for, among those requested.', { extensions: { 'x-kubernetes-list-type': 'atomic' } }),
    { name: 'authenticated', type: 'boolean', description: 'Whether the token is valid.' },
    str('error', 'Why the token is not valid.'),
    ref('user', userInfo.name, 'Who the token authenticates as.', { default: {} }),
  ],
};

const tokenReview: TypeDef = {
  name: `${AUTHN}.TokenReview`,
  description: 'Checks a token and reports who it authenticates as.',
  fields: [
    apiVersionField, kindField, objectMetaField,
    ref('spec', tokenReviewSpec.name, 'The token to check.', { required: true, default: {} }),
    ref('status', tokenReviewStatus.name, 'The outcome, filled by the server.', { default: {} }),
  ],
  gvk: [{ group: GROUP, version: 'v1', kind: 'TokenReview' }],
};

const selfSubjectReviewStatus: TypeDef = {
  name: `${AUTHN}.SelfSubjectReviewStatus`,
  description: 'Who the caller is.',
  fields: [ref('userInfo', userInfo.name, 'The caller as the server authenticated it.', { default: {} })],
};

const selfSubjectReview: TypeDef = {
  name: `${AUTHN}.SelfSubjectReview`,
  description: 'Reports who the caller is authenticated as (kubectl auth whoami).',
  fields: [
    apiVersionField, kindField, objectMetaField,
    ref('status', selfSubjectReviewStatus.name, 'The caller, filled by the server.', { default: {} }),
  ],
  gvk: [{ group: GROUP, version: 'v1', kind: 'SelfSubjectReview' }],
};

registerKindSchema({
  group: GROUP, version: 'v1', kind: 'TokenRequest', schema: tokenRequest.name,
  types: [tokenRequest, tokenRequestSpec, tokenRequestStatus, boundObjectReference],
});

registerKindSchema({
  group: GROUP, version: 'v1', kind: 'TokenReview', schema: tokenReview.name,
  types: [tokenReview, tokenReviewSpec, tokenReviewStatus, userInfo],
  resource: { plural: 'tokenreviews', namespaced: false, verbs: ['create'] },
});

registerKindSchema({
  group: GROUP, version: 'v1', kind: 'SelfSubjectReview', schema: selfSubjectReview.name,
  types: [selfSubjectReview, selfSubjectReviewStatus],
  resource: { plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] },
});
