import { batchParams, retryBody, retryResultJson } from "@veoq/api-schemas";
import { priceRetry, RetryPlanChangedError, retryFailedItems } from "@veoq/pipeline";
import { toRetryJson, toRetryPlanJson } from "@veoq/report";
import type { z } from "zod";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";
import { requireBatch } from "./read-batches.ts";

/**
 * POST /v1/batches/{id}/retry: re-queues the failed items the cheapest way that can work (as
 * `veoq retry` and the dashboard). Paid re-submissions need the caller's agreement: more than
 * `max_resubmits` (default 0) is a 409 carrying the plan, and nothing is re-queued.
 */
export const retryBatch = defineRoute<
  z.output<typeof batchParams>,
  undefined,
  z.output<typeof retryBody>
>({
  method: "post",
  path: "/v1/batches/{id}/retry",
  operationId: "retryBatch",
  summary: "Retry a batch's failed items (paid re-submissions only up to max_resubmits)",
  scope: "write",
  params: batchParams,
  body: { kind: "json", schema: retryBody, optional: true },
  responses: { 200: { description: "What was re-queued", schema: retryResultJson } },
  async handle(request, context) {
    const id = request.params.id;
    await requireBatch(context, id);
    const maxResubmits = request.body.max_resubmits ?? 0;
    try {
      const summary = await retryFailedItems(context.store, context.queues, id, {
        submitAttempts: context.config.submitAttempts,
        includePermanent: request.body.include_permanent === true,
        maxResubmits,
      });
      context.logger.info(
        { batchId: id, retried: summary.retried, caller: request.caller.name },
        "api: failed items re-queued",
      );
      return json(
        200,
        toRetryJson(
          summary,
          await priceRetry(summary.plan, context.queues, context.prices, context.spend),
        ),
      );
    } catch (error) {
      if (!(error instanceof RetryPlanChangedError)) throw error;
      const plan = toRetryPlanJson(
        error.plan,
        await priceRetry(error.plan, context.queues, context.prices, context.spend),
      );
      throw new ApiProblem(
        "conflict",
        `this retry would pay for ${error.plan.counts.resubmit} re-submissions, more than max_resubmits (${maxResubmits}); nothing was re-queued. Send max_resubmits=${error.plan.counts.resubmit} to agree to the plan.`,
        { retry_plan: plan },
      );
    }
  },
});
