import type { VeoqConfig } from "@veoq/config";
import { S3ObjectStore } from "./s3-object-store.ts";

/** The bucket VEOQ_OUTPUT_URL names, with the AWS_* settings; undefined when it is unset. */
export function objectStoreFromConfig(config: VeoqConfig): S3ObjectStore | undefined {
  if (config.outputUrl === undefined) return undefined;
  return new S3ObjectStore({
    bucket: config.outputUrl.bucket,
    prefix: config.outputUrl.prefix,
    endpoint: config.awsEndpointUrl,
    region: config.awsRegion,
    credentials:
      config.awsAccessKeyId !== undefined && config.awsSecretAccessKey !== undefined
        ? { accessKeyId: config.awsAccessKeyId, secretAccessKey: config.awsSecretAccessKey }
        : undefined,
    forcePathStyle: config.s3ForcePathStyle,
  });
}
