/** Why tokens were spent; every ledger row has one. */
export const USAGE_PURPOSES = ['ingest', 'update', 'migration', 'drift', 'search'] as const;
export type UsagePurpose = (typeof USAGE_PURPOSES)[number];
