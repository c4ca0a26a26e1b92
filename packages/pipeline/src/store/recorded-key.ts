/**
 * The API key a job recorded for its create (issue 27): `keyName` and `keyAccount`, set on the
 * submit job when the create is sent and carried to its poll job. Read by whichever process
 * settles that create's reservation or frees its slot, holding the key or not: records are named
 * by account (keys/provider-keys.ts accountOfKey: the key's name, or its short hash), never the
 * key.
 */

/** What a job records about the key that created (or is creating) its task. */
export interface RecordedKey {
  keyName?: string | undefined;
  keyAccount?: string | undefined;
}

/**
 * Whether the create a job recorded went through `account`'s key: true when the job names that
 * account, false when it names another; a job that names no key (its create not sent yet) is
 * taken as this one. `keyAccount` is written with `keyName` (stages/submit-processor.ts).
 */
export function recordedOnAccount(data: RecordedKey | undefined, account: string): boolean {
  return data?.keyAccount === undefined || data.keyAccount === account;
}
