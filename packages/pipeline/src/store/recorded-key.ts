/**
 * The API key a job recorded for its create (issue 27): `keyName` and `keyAccount`, set on the
 * submit job when the create is sent and carried to its poll job. Read by whichever process
 * settles that create's reservation or frees its slot, holding the key or not: records are named
 * by account (keys/provider-keys.ts accountOfKey: the key's name, or its short hash), never the
 * key.
 */

/**
 * The account of the key a job recorded (`keyAccount`, set with `keyName` when its create is
 * sent), read without holding the key. A job from before `keyAccount` names only the key: a
 * name of the unnamed shape (`key-<hash>`) is that hash's account, any other name is its own.
 */
export function accountOfRecordedKey(name: string): string {
  const unnamed = /^key-([0-9a-f]{12})$/.exec(name);
  return unnamed === null ? name : (unnamed[1] as string);
}

/** What a job records about the key that created (or is creating) its task. */
export interface RecordedKey {
  keyName?: string | undefined;
  keyAccount?: string | undefined;
}

/**
 * Whether the create a job recorded went through `account`'s key: true when the job names that
 * account (or, before `keyAccount`, that key), false when it names another key; a job that
 * names no key (one key, before pools) is taken as this one.
 */
export function recordedOnAccount(data: RecordedKey | undefined, account: string): boolean {
  if (data?.keyAccount !== undefined) return data.keyAccount === account;
  if (data?.keyName === undefined) return true;
  return accountOfRecordedKey(data.keyName) === account;
}
