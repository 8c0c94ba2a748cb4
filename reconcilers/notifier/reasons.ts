/**
 * The reasons a Notifier reports. Its runs fail (retried, Ready=False meanwhile) when the token file is missing or
 * bad: `SecretFileMissing`, `SecretFileUnreadable`, `SecretFileInvalid` (from the shared secret-file reader). It is
 * Degraded while its notifications cannot be sent.
 */

/** Degraded: the latest send failed (the message says how: HTTP status or error); retried with backoff. */
export type NotifierDegradedReason = 'SendFailed';
