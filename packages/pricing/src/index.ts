export { type CostEstimate, type CostGroup, CostTally, type CostTotals } from "./cost-estimate.ts";
export { describeEstimate, estimateToJson } from "./describe-estimate.ts";
export {
  formatMoney,
  formatMoneyJson,
  fromMicros,
  MICROS_PER_UNIT,
  type MoneyJson,
  moneyJson,
  moneySchema,
  parseAmount,
  toMicros,
} from "./money.ts";
export {
  DEFAULT_PRICE_TABLE_PATH,
  loadPriceTable,
  type PriceTable,
  PriceTableError,
  parsePriceTable,
  priceKey,
  type Resolution,
  UNVERIFIED_PRICES_NOTE,
} from "./price-table.ts";
export { audioOf, type RequestCost, requestCost, resolutionOf } from "./request-cost.ts";
