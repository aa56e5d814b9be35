// The slice of the Kubernetes Pod API that `opaque run` reads (core/v1 field names), and the Secret
// as the server returns it.

export interface SecretKeySelector { name?: string; key: string; optional?: boolean }
export interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: SecretKeySelector; [other: string]: unknown } }
export interface EnvFromSource { prefix?: string; secretRef?: { name?: string; optional?: boolean }; configMapRef?: unknown }
export interface VolumeMount { name: string; mountPath: string; readOnly?: boolean; subPath?: string }
export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: VolumeMount[];
  image?: string;
  securityContext?: SecurityContext;
}
/** The identity fields of kube's (Pod)SecurityContext that a process can honour. */
export interface SecurityContext { runAsUser?: number; runAsGroup?: number; fsGroup?: number }
export interface KeyToPath { key: string; path: string; mode?: number }
export interface SecretVolumeSource { secretName?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean }
export interface Volume { name: string; secret?: SecretVolumeSource; [other: string]: unknown }
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
  imagePullSecrets?: { name: string }[];
  serviceAccountName?: string;
  securityContext?: SecurityContext;
}
export interface Pod {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
  spec: PodSpec;
}

export interface Secret {
  metadata: { name: string; namespace: string; resourceVersion: string };
  type?: string;
  data?: Record<string, string>;
  immutable?: boolean;
}

/** Decoded data of a Secret (base64 off), by key. */
export function secretData(s: Secret): Map<string, Buffer> {
  return new Map(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}
