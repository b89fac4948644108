/** The two databases the store runs on; the same schema and queries serve both. */
export type StoreDialect = 'sqlite' | 'postgres';
