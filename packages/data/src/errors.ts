import { ClusterflowError } from '@clusterflow/core';

/**
 * A data file or folder that cannot be read as asked: truncated, corrupt, of the
 * wrong format, or inconsistent with its companion file. The message names the
 * file and, for sizes, what was expected and what was found.
 */
export class DataError extends ClusterflowError {}
