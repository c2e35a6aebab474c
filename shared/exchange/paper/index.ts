/** The paper exchange (issue 3, item 5): the Exchange port for paper accounts, state in the database. */
export { DEFAULT_PAPER_FUNDING, fundPaperAccount } from './funding.ts';
export {
  marketInfo,
  minNotionalFor,
  type PaperMarketFilters,
  paperMarketSpec,
  splitSymbol,
} from './markets.ts';
export {
  advancePaperAccounts,
  PaperExchange,
  type PaperExchangeOptions,
  type PaperVenueOptions,
} from './paper-exchange.ts';
export { matchRestingOrder } from './resting.ts';
