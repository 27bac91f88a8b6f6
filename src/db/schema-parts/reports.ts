// Kysely row types for the reports tables (see migrations/*_reports.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ReportsTables {}
