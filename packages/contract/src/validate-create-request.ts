import { z } from "zod";
import { isCommonValidRequest } from "./common-request-check.ts";
import { type ContractIssue, formatIssuePath, type ValidationResult } from "./contract-issue.ts";
import { type CreateRequest, ENDPOINT_SLUGS, ENDPOINTS, isEndpointSlug } from "./endpoints.ts";
import { suggestField } from "./field-hint.ts";

/** Unwraps optional/nullable/default wrappers to reach the schema that does the work. */
function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The field names the object schema found at `path` inside `root` accepts. */
function knownFieldsAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = unwrapSchema(root);
  for (const segment of path) {
    if (current === undefined) return [];
    if (typeof segment === "number" && current instanceof z.ZodArray) {
      current = unwrapSchema(current.element as z.ZodType);
    } else if (typeof segment === "string" && current instanceof z.ZodObject) {
      const next: z.ZodType | undefined = (current.shape as Record<string, z.ZodType | undefined>)[
        segment
      ];
      current = next === undefined ? undefined : unwrapSchema(next);
    } else {
      return [];
    }
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Turns zod issues into contract issues; an unknown-keys issue becomes one issue per key, with a hint. */
export function toContractIssues(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
): ContractIssue[] {
  const out: ContractIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownFieldsAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = suggestField(key, known);
        out.push({
          path: formatIssuePath([...issue.path, key]),
          message:
            hint === undefined
              ? `unknown field ${JSON.stringify(key)}`
              : `unknown field ${JSON.stringify(key)}; did you mean ${JSON.stringify(hint)}?`,
        });
      }
    } else {
      out.push({ path: formatIssuePath(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * Checks a create-request body against the endpoint's documented contract. On success the value
 * is the body exactly as given (no defaults injected: veoq forwards the user's body unchanged).
 */
export function validateCreateRequest(
  slug: string,
  body: unknown,
): ValidationResult<CreateRequest> {
  if (!isEndpointSlug(slug)) {
    return {
      ok: false,
      issues: [
        {
          path: "",
          message: `unknown endpoint ${JSON.stringify(slug.slice(0, 80))}; expected one of ${ENDPOINT_SLUGS.join(", ")}`,
        },
      ],
    };
  }
  // Most bodies are of the common fields only: told valid without the schema's allocations.
  if (isCommonValidRequest(slug, body)) return { ok: true, value: body as CreateRequest };
  const { schema } = ENDPOINTS[slug];
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: body as CreateRequest };
  return { ok: false, issues: toContractIssues(schema, result.error.issues) };
}
