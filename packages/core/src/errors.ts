/** Errors that name their culprit, so a user can fix the config, file or plugin at fault. */
export class ClusterflowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An id that nothing registered; the message lists what is registered. */
export class UnknownComponentError extends ClusterflowError {}

/** A config that does not match its schema; the message names field, value and what is allowed. */
export class ConfigError extends ClusterflowError {}

/** A plugin that cannot be imported or has no `register` export. */
export class PluginError extends ClusterflowError {}

/** A loss that became NaN or infinite. */
export class NonFiniteLossError extends ClusterflowError {
  constructor(
    readonly objective: string,
    readonly part: string,
    readonly step: number,
    readonly value: number,
  ) {
    super(`loss part '${part}' of objective '${objective}' is ${value} at step ${step}`);
  }
}

/** A checkpoint file that is truncated, corrupt or from another run. */
export class CheckpointError extends ClusterflowError {}

/** A tensor of the wrong shape handed across a seam. */
export class ShapeError extends ClusterflowError {}

/** Something only Node provides (a native package, the file system), asked for in a browser. */
export class NodeOnlyError extends ClusterflowError {}
