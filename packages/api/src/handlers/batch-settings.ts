import { batchParams, budgetBody, budgetJson, priorityBody, priorityJson } from "@veoq/api-schemas";
import { changeBatchPriority, setBatchBudget } from "@veoq/pipeline";
import { moneyJson, toMicros } from "@veoq/pricing";
import type { z } from "zod";
import { lifecycleOf } from "../api-context.ts";
import { defineRoute, json } from "../api-route.ts";
import { requireBatch } from "./read-batches.ts";

type Params = z.output<typeof batchParams>;

/** PUT /v1/batches/{id}/budget: sets the budget (`veoq budget`) and lifts a budget pause. */
export const setBudget = defineRoute<Params, undefined, z.output<typeof budgetBody>>({
  method: "put",
  path: "/v1/batches/{id}/budget",
  operationId: "setBudget",
  summary: "Set a batch's budget (lifts a budget pause)",
  scope: "write",
  params: batchParams,
  body: { kind: "json", schema: budgetBody },
  responses: { 200: { description: "The new budget", schema: budgetJson } },
  async handle(request, context) {
    const id = request.params.id;
    await requireBatch(context, id);
    const micros = toMicros(request.body.budget);
    const { resumed } = await setBatchBudget(lifecycleOf(context), id, micros);
    context.logger.info(
      { batchId: id, budgetMicros: micros, resumed, caller: request.caller.name },
      "api: budget set",
    );
    const spend = await context.spend.read(id);
    return json(200, {
      batch_id: id,
      budget: moneyJson(micros, spend.currency ?? context.prices.currency),
      resumed,
    });
  },
});

/** PUT /v1/batches/{id}/priority: the batch's share of the provider slots (`veoq priority`). */
export const setPriority = defineRoute<Params, undefined, z.output<typeof priorityBody>>({
  method: "put",
  path: "/v1/batches/{id}/priority",
  operationId: "setPriority",
  summary: "Set a batch's priority: high, normal or low",
  scope: "write",
  params: batchParams,
  body: { kind: "json", schema: priorityBody },
  responses: { 200: { description: "The new priority", schema: priorityJson } },
  async handle(request, context) {
    const id = request.params.id;
    await requireBatch(context, id);
    const change = await changeBatchPriority(
      context.queues,
      context.store,
      id,
      request.body.priority,
    );
    context.logger.info(
      { batchId: id, level: change.level, caller: request.caller.name },
      "api: priority set",
    );
    return json(200, { batch_id: id, priority: change.level, changed: change.changed });
  },
});
