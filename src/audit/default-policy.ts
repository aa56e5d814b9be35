// The policy Opaque audits with when no --audit-policy-file is given. Who touched which Secret (and
// the other access-control objects) is always recorded, bodies never are, and the high-volume
// endpoints that carry no subject matter (probes, version, discovery, OpenAPI, metrics) are skipped.

import { parsePolicy } from './policy-file.js';
import type { Policy } from './types.js';

export const DEFAULT_POLICY_YAML = `apiVersion: audit.k8s.io/v1
kind: Policy
# The request is recorded once, when the response is complete (watches also when they start).
omitStages: [RequestReceived]
rules:
  # Probes, version, discovery, OpenAPI and metrics: frequent and uninteresting.
  - level: None
    nonResourceURLs:
      - /healthz*
      - /livez*
      - /readyz*
      - /version
      - /version/
      - /api
      - /api/*
      - /apis
      - /apis/*
      - /openapi/*
      - /metrics
  # Secret values, tokens and access rules: who, what, when and from where - never the bodies.
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets, serviceaccounts/token]
      - group: authentication.k8s.io
        resources: [tokenreviews]
      - group: rbac.authorization.k8s.io
  # Everything else (namespaces, service accounts, reviews, Opaque's admin endpoints such as
  # /opaque/v1/encryption/*, unknown paths) at Metadata as well.
  - level: Metadata
`;

export function defaultPolicy(): Policy {
  return parsePolicy(DEFAULT_POLICY_YAML).policy;
}
