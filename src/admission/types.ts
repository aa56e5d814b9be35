// Admission sits between decoding and the registry: plugins see the object about to be written and
// may reject it. They run inside the store's write path so updates and patches see the final object.

import type { KObject } from '../api/types.js';
import type { ResourceInfo, UserInfo } from '../registry/types.js';

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  info: ResourceInfo;
  namespace?: string;
  name: string;
  subresource?: string;
  object?: KObject;
  oldObject?: KObject;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  readonly name: string;
  admit(attrs: AdmissionAttributes): Promise<void>;
}

export class AdmissionChain {
  constructor(private readonly plugins: AdmissionPlugin[] = []) {}
  add(p: AdmissionPlugin): void {
    this.plugins.push(p);
  }
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) await p.admit(attrs);
  }
}
