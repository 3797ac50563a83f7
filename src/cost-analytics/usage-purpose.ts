/** Why tokens were spent; every ledger row has one. */
export const USAGE_PURPOSES = ['ingest', 'update', 'migration', 'drift', 'search', 'evaluation', 'shadow'] as const;
export type UsagePurpose = (typeof USAGE_PURPOSES)[number];
