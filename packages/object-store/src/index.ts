export { isObjectStoreCredentialsError } from "./credentials-error.ts";
export { objectStoreFromConfig } from "./object-store-from-config.ts";
export {
  MAX_INPUT_OBJECT_BYTES,
  type ObjectSink,
  ObjectStoreError,
  S3ObjectStore,
  type S3ObjectStoreOptions,
  type StoredObjectBytes,
} from "./s3-object-store.ts";
