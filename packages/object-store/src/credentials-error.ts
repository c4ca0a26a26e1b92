/**
 * S3 error codes that say the store refuses these credentials (or their rights): nothing a retry
 * of the same request can change until someone fixes the keys, the token or the bucket policy.
 */
const CREDENTIALS_ERROR_CODES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "InvalidClientTokenId",
  "AccountProblem",
  "AllAccessDisabled",
  "CredentialsProviderError",
]);

/**
 * Whether an error of the object store (an upload, a ranged read) means the store refuses the
 * credentials: one of the codes above, or a bare 401/403 (a HEAD's refusal has no body to name it).
 */
export function isObjectStoreCredentialsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { Code?: unknown }).Code;
  if (CREDENTIALS_ERROR_CODES.has(error.name)) return true;
  if (typeof code === "string" && CREDENTIALS_ERROR_CODES.has(code)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return status === 401 || status === 403;
}
