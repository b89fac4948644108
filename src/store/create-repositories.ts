import type { Kysely } from 'kysely';
import { accountsRepository } from './accounts-repository.ts';
import { apiClientsRepository } from './api-clients-repository.ts';
import { authorizationSessionsRepository } from './authorization-sessions-repository.ts';
import { connectionsRepository } from './connections-repository.ts';
import { connectorsRepository } from './connectors-repository.ts';
import type { StoreDialect } from './dialect.ts';
import { encryptionKeysRepository } from './encryption-keys-repository.ts';
import { mcpAuthorizationRepository } from './mcp-authorization-repository.ts';
import { mcpConfigsRepository } from './mcp-configs-repository.ts';
import { policiesRepository } from './policies-repository.ts';
import type { Repositories } from './repositories.ts';
import { requestLogRepository } from './request-log-repository.ts';
import type { Database } from './schema.ts';
import { secretsRepository } from './secrets-repository.ts';
import { tokenRevocationsRepository } from './token-revocations-repository.ts';
import { toolsRepository } from './tools-repository.ts';

/**
 * The repositories over `db`, which may be the store's Kysely instance or a transaction.
 * `dialect` is needed where the dialects differ in locking (Postgres row locks).
 */
export function createRepositories(db: Kysely<Database>, dialect: StoreDialect): Repositories {
  return {
    connectors: connectorsRepository(db, dialect),
    connections: connectionsRepository(db, dialect),
    accounts: accountsRepository(db, dialect),
    authorizationSessions: authorizationSessionsRepository(db),
    apiClients: apiClientsRepository(db, dialect),
    encryptionKeys: encryptionKeysRepository(db),
    secrets: secretsRepository(db),
    requestLog: requestLogRepository(db, dialect),
    tokenRevocations: tokenRevocationsRepository(db),
    tools: toolsRepository(db),
    mcpConfigs: mcpConfigsRepository(db),
    mcpAuthorization: mcpAuthorizationRepository(db),
    policies: policiesRepository(db, dialect),
  };
}
