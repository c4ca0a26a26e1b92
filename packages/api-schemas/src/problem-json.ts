import { z } from "zod";

/**
 * An RFC 9457 problem: every error the API answers is one, as `application/problem+json`.
 * `type` is a URI naming the kind of problem (the API's own `urn:veoq:problem:<slug>`), the same
 * for every occurrence; `detail` says what happened this time.
 */
export const problemJson = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    /** Every invalid manifest line (422 on a batch or estimate), in order, up to the report cap. */
    invalid_lines: z
      .array(
        z.object({
          line: z.number().int(),
          custom_id: z.string().nullable(),
          errors: z.array(z.object({ path: z.string(), message: z.string() })),
        }),
      )
      .optional(),
    /** The invalid lines in all (the list above stops at its cap). */
    invalid: z.number().int().optional(),
    /** Where a request's fields are wrong (400, 422): each field path and what is wrong. */
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** 409 on a retry that would pay for more re-submissions than agreed: what it would do now. */
    retry_plan: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: "Problem" });
export type ProblemJson = z.infer<typeof problemJson>;
