// Kysely row types for the money tables (see migrations/*_money.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MoneyTables {}
