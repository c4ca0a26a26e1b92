export {
  LOCAL_S3_CREDENTIALS,
  type LocalS3,
  type LocalS3Options,
  startLocalS3,
} from "./start-local-s3.ts";
