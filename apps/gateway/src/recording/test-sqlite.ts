import { interopRequired } from '@camgate/testkit';
import { describe } from 'vitest';

/**
 * better-sqlite3 is an optional dependency (built at install, which needs a C++ compiler): without
 * it the recording tests skip with the reason, but under CAMGATE_REQUIRE_INTEROP=1 (CI) they run
 * and fail with CAMGATE_ERR_RECORDING_UNAVAILABLE.
 */
export const sqliteAvailable = await import('better-sqlite3').then(
  () => true,
  () => false,
);

/** `describe` for tests that need the recordings index. */
export const describeWithSqlite: typeof describe.skip = sqliteAvailable || interopRequired() ? describe : describe.skip;
