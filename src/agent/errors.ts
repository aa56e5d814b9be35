// The agent's typed errors. A ManifestError stops the agent before anything runs (the pod would
// not have passed API validation); a ContainerConfigError keeps one container waiting with the
// kubelet's reason until a Secret change lets it start.

export class ManifestError extends Error {}

export class ContainerConfigError extends Error {
  constructor(
    message: string,
    /**
     * The kubelet's waiting reason: CreateContainerConfigError (env, mounts), ContainerCreating (a
     * volume that cannot be mounted), CreateContainerError (what the runtime refuses: workingDir).
     */
    readonly reason: 'CreateContainerConfigError' | 'ContainerCreating' | 'CreateContainerError' = 'CreateContainerConfigError',
  ) {
    super(message);
  }
}

/** A directory the agent would keep its state or deliver files in is not safely its own. */
export class StateDirError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`refusing to use ${path}: ${reason}`);
  }
}
