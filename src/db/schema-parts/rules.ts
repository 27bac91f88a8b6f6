// Kysely row types for the rules tables (see migrations/*_rules.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RulesTables {}
