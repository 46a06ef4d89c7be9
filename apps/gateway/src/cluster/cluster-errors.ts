import { CodedError } from '@camgate/bits';

export const ClusterErrorCode = {
  /** The lease keeper's options are inconsistent (a bug or a bad configuration): it does not start. */
  INVALID_OPTIONS: 'CLUSTER_INVALID_OPTIONS',
  /** The database could not be reached or did not answer in time: nothing was changed (try again). */
  DATABASE_UNAVAILABLE: 'CLUSTER_DATABASE_UNAVAILABLE',
  /** The lease keeper was stopped. */
  STOPPED: 'CLUSTER_STOPPED',
} as const;
export type ClusterErrorCode = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

/** Errors of the cluster layer (leases, node directory). Messages never carry the database URL. */
export class ClusterError extends CodedError<ClusterErrorCode> {}

/** The message of a database error without anything that could identify credentials. */
export function databaseProblem(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
