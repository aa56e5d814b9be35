// authorization.k8s.io/v1 kinds: the access reviews. They are create-only and never stored; the
// server fills in status (kubectl auth can-i, can-i --list).

import { apiVersionField, bool, kindField, list, objectMetaField, ref, refItems, str } from './fields.js';
import { registerKindSchema, type TypeDef } from './model.js';

const AUTHZ = 'io.k8s.api.authorization.v1';
const GROUP = 'authorization.k8s.io';
const ATOMIC = { 'x-kubernetes-list-type': 'atomic' };
const REQ = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const fieldSelectorRequirement: TypeDef = {
  name: `${REQ}.FieldSelectorRequirement`,
  description: 'One requirement on a field: key, operator (In, NotIn, Exists, DoesNotExist) and values.',
  fields: [
    str('key', 'The field path.', { required: true, default: '' }),
    str('operator', 'In, NotIn, Exists or DoesNotExist.', { required: true, default: '' }),
    list('values', { type: 'string' }, 'Values for In and NotIn.', { extensions: ATOMIC }),
  ],
};

const fieldSelectorAttributes: TypeDef = {
  name: `${AUTHZ}.FieldSelectorAttributes`,
  description: 'A field selector the request carries, as text or as requirements.',
  fields: [
    str('rawSelector', 'The selector as written in a query string.'),
    list('requirements', refItems(fieldSelectorRequirement.name), 'The parsed requirements.', { extensions: ATOMIC }),
  ],
};

const labelSelectorAttributes: TypeDef = {
  name: `${AUTHZ}.LabelSelectorAttributes`,
  description: 'A label selector the request carries, as text or as requirements.',
  fields: [
    str('rawSelector', 'The selector as written in a query string.'),
    list('requirements', refItems(`${REQ}.LabelSelectorRequirement`), 'The parsed requirements.', { extensions: ATOMIC }),
  ],
};

const resourceAttributes: TypeDef = {
  name: `${AUTHZ}.ResourceAttributes`,
  description: 'A resource request to check: verb, group, resource, subresource, namespace and name.',
  fields: [
    ref('fieldSelector', fieldSelectorAttributes.name, 'Field selector of a list or watch.'),
    str('group', 'API group of the resource; "" is the core group, "*" any group.'),
    ref('labelSelector', labelSelectorAttributes.name, 'Label selector of a list or watch.'),
    str('name', 'Name of the object; empty means every name.'),
    str('namespace', 'Namespace of the request; empty means all namespaces for namespaced resources, or a cluster-scoped resource.'),
    str('resource', 'The resource, such as secrets; "*" means all.'),
    str('subresource', 'The subresource, such as token; empty for none.'),
    str('verb', 'The verb: get, list, watch, create, update, patch, delete, deletecollection, or a special verb; "*" means all.'),
    str('version', 'API version of the resource; "*" means all.'),
  ],
};

const nonResourceAttributes: TypeDef = {
  name: `${AUTHZ}.NonResourceAttributes`,
  description: 'A request for a path that is not a resource, such as /healthz.',
  fields: [str('path', 'The URL path.'), str('verb', 'The standard HTTP verb, in lower case.')],
};

const sarStatus: TypeDef = {
  name: `${AUTHZ}.SubjectAccessReviewStatus`,
  description: 'The answer: allowed, or denied, and why.',
  fields: [
    bool('allowed', 'True when the action would be allowed.', { required: true }),
    bool('denied', 'True when an authorizer explicitly denied the action (RBAC never does; it only allows).'),
    str('evaluationError', 'Errors met while evaluating; the answer may still be correct.'),
    str('reason', 'Why the action is allowed or denied.'),
  ],
};

const sarSpec: TypeDef = {
  name: `${AUTHZ}.SubjectAccessReviewSpec`,
  description: 'The action to check and the user to check it for. Exactly one of resourceAttributes and nonResourceAttributes is required.',
  fields: [
    { name: 'extra', type: 'map', values: { type: 'ref', ref: `${AUTHZ}.ExtraValue` }, description: 'Extra user attributes.' },
    list('groups', { type: 'string' }, 'The groups of the user.', { extensions: ATOMIC }),
    ref('nonResourceAttributes', nonResourceAttributes.name, 'The non-resource request to check.'),
    ref('resourceAttributes', resourceAttributes.name, 'The resource request to check.'),
    str('uid', 'The UID of the user.'),
    str('user', 'The user to check for. At least one of user and groups is required.'),
  ],
};

const extraValue: TypeDef = { name: `${AUTHZ}.ExtraValue`, description: 'A list of strings.', shape: 'raw' };

const selfSarSpec: TypeDef = {
  name: `${AUTHZ}.SelfSubjectAccessReviewSpec`,
  description: 'The action to check for the caller. Exactly one of resourceAttributes and nonResourceAttributes is required.',
  fields: [
    ref('nonResourceAttributes', nonResourceAttributes.name, 'The non-resource request to check.'),
    ref('resourceAttributes', resourceAttributes.name, 'The resource request to check.'),
  ],
};

const rulesSpec: TypeDef = {
  name: `${AUTHZ}.SelfSubjectRulesReviewSpec`,
  description: 'Which namespace to list the caller\'s permissions in.',
  fields: [str('namespace', 'The namespace to evaluate rules in. Required.')],
};

const resourceRule: TypeDef = {
  name: `${AUTHZ}.ResourceRule`,
  description: 'Verbs the caller may use on resources.',
  fields: [
    list('apiGroups', { type: 'string' }, 'API groups.', { extensions: ATOMIC }),
    list('resourceNames', { type: 'string' }, 'Names the rule is limited to; empty means all.', { extensions: ATOMIC }),
    list('resources', { type: 'string' }, 'Resources.', { extensions: ATOMIC }),
    list('verbs', { type: 'string' }, 'Verbs.', { required: true, extensions: ATOMIC }),
  ],
};

const nonResourceRule: TypeDef = {
  name: `${AUTHZ}.NonResourceRule`,
  description: 'Verbs the caller may use on non-resource URLs.',
  fields: [
    list('nonResourceURLs', { type: 'string' }, 'Paths; a trailing * matches any suffix.', { extensions: ATOMIC }),
    list('verbs', { type: 'string' }, 'Verbs.', { required: true, extensions: ATOMIC }),
  ],
};

const rulesStatus: TypeDef = {
  name: `${AUTHZ}.SubjectRulesReviewStatus`,
  description: 'The caller\'s permissions in the namespace.',
  fields: [
    str('evaluationError', 'Errors met while evaluating.'),
    bool('incomplete', 'True when the list may miss rules (an authorizer that cannot enumerate them).', { required: true }),
    list('nonResourceRules', refItems(nonResourceRule.name), 'Non-resource permissions.', { required: true, extensions: ATOMIC }),
    list('resourceRules', refItems(resourceRule.name), 'Resource permissions.', { required: true, extensions: ATOMIC }),
  ],
};

function review(kind: string, spec: TypeDef, status: TypeDef, description: string, plural: string, namespaced: boolean): void {
  const def: TypeDef = {
    name: `${AUTHZ}.${kind}`,
    description,
    fields: [
      apiVersionField, kindField, objectMetaField,
      ref('spec', spec.name, 'What to evaluate.', { required: true, default: {} }),
      ref('status', status.name, 'The answer, filled in by the server.', { default: {} }),
    ],
    gvk: [{ group: GROUP, version: 'v1', kind }],
  };
  registerKindSchema({
    group: GROUP, version: 'v1', kind, schema: def.name,
    types: [def, spec, status, resourceAttributes, nonResourceAttributes, fieldSelectorAttributes, labelSelectorAttributes, fieldSelectorRequirement, extraValue, resourceRule, nonResourceRule],
    resource: { plural, namespaced, verbs: ['create'] },
  });
}

review('SelfSubjectAccessReview', selfSarSpec, sarStatus, 'Asks whether the caller may perform an action.', 'selfsubjectaccessreviews', false);
review('SubjectAccessReview', sarSpec, sarStatus, 'Asks whether a given user may perform an action.', 'subjectaccessreviews', false);
review('LocalSubjectAccessReview', sarSpec, sarStatus, 'Asks whether a given user may perform an action in this namespace.', 'localsubjectaccessreviews', true);
review('SelfSubjectRulesReview', rulesSpec, rulesStatus, 'Lists the actions the caller may perform in a namespace.', 'selfsubjectrulesreviews', false);
