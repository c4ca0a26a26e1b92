export { CONTRACT_CASES, type ContractCase } from "./contract-cases.ts";
export {
  type ContractIssue,
  formatIssuePath,
  type ValidationResult,
} from "./contract-issue.ts";
export { parseCreateResponse } from "./create-response.ts";
export {
  type CreateRequest,
  ENDPOINT_SLUGS,
  ENDPOINTS,
  type EndpointSlug,
  type EndpointSpec,
  type ImageFieldSpec,
  isEndpointSlug,
  TASK_RESULT_PATH,
} from "./endpoints.ts";
export { suggestField } from "./field-hint.ts";
export {
  checkImageBytes,
  classifyInlineImage,
  decodeBase64Strict,
  describeOversize,
  type ImageFormat,
  type InlineImage,
  MAX_IMAGE_BYTES,
  sniffImageFormat,
} from "./image-bytes.ts";
export {
  type Img2VideoRequest,
  img2videoRequestSchema,
  MAX_ASSET_REFERENCE_IMAGES,
} from "./img2video-request.ts";
export {
  type LiteFirstLastFrameRequest,
  liteFirstLastFrameRequestSchema,
} from "./lite-first-last-frame-request.ts";
export {
  ASPECT_RATIOS,
  DURATION_CHOICES,
  MAX_PROMPT_CHARS,
  MAX_SAMPLE_COUNT,
  MAX_SEED,
  RESOLUTIONS,
} from "./request-fields.ts";
export {
  durationSecondsOf,
  type ImageValue,
  imageValuesOf,
  type RequestedVideo,
  requestedVideoOf,
  sampleCountOf,
} from "./request-values.ts";
export {
  MAX_OUTPUT_URL_CHARS,
  MAX_STATUS_CHARS,
  MAX_TASK_ID_CHARS,
  parseTaskResult,
  type TaskResult,
  type TaskResultOutput,
  type TaskStatus,
  taskResultResponseSchema,
  toTaskStatus,
} from "./task-result.ts";
export { toContractIssues, validateCreateRequest } from "./validate-create-request.ts";
