// Who a container's process runs as: securityContext.runAsUser / runAsGroup (the container's over
// the pod's), with the pod's fsGroup as the group when no runAsGroup is given (kube adds fsGroup as a
// supplementary group; a spawned process gets exactly one group, since libuv drops the agent's
// supplementary groups when it switches user). Only a root agent can start another user's process.
// Run as another user, a process cannot change its Secret files: they belong to the agent, which is
// how a secret volume is read-only for the container, as the kubelet's read-only mount makes it.

import { ContainerConfigError } from './errors.js';
import type { Container, PodSpec } from './types.js';

export interface RunAs {
  uid: number;
  gid: number;
}

/** The identity to start the container with; undefined when it is the agent's own. */
export function runAs(pod: PodSpec, c: Container): RunAs | undefined {
  const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup ?? pod.securityContext?.fsGroup;
  if (uid === undefined && gid === undefined) return undefined;
  const me = { uid: process.getuid!(), gid: process.getgid!() };
  const want = { uid: uid ?? me.uid, gid: gid ?? me.gid };
  if (want.uid === me.uid && want.gid === me.gid) return undefined;
  if (me.uid !== 0) {
    throw new ContainerConfigError(
      `cannot run container "${c.name}" as uid ${want.uid} gid ${want.gid}: the agent runs as uid ${me.uid}, and only a root agent can start a process as another user`,
      'CreateContainerError',
    );
  }
  return want;
}

/** Whether some container of the pod runs as a user other than the agent's (without throwing). */
export function anyOtherUser(pod: PodSpec): boolean {
  return pod.containers.some((c) => {
    try {
      return runAs(pod, c) !== undefined;
    } catch {
      return false;
    }
  });
}
