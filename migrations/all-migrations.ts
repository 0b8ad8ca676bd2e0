import type { Migration } from 'kysely/migration'
import { createTables } from './0001_create_tables.js'
import { createSessionOperations } from './0002_session_operations.js'
import { dropUnusedEmbeddingIndex } from './0003_drop_unused_embedding_index.js'
import { camelCaseEventPayloads } from './0004_camel_case_event_payloads.js'
import { createTranscriptExcerpts } from './0005_transcript_excerpts.js'
import { addExcerptBinaryCodes } from './0006_excerpt_binary_codes.js'
import { createRowLevelSecurityPolicies } from './0007_row_level_security.js'
import { addTenantKeys } from './0008_tenant_keys.js'
import { rebuildMessagesSessionIndex } from './0009_messages_tenant_session_index.js'
import type { MigrationSettings } from './migration-settings.js'

/**
 * Every migration, in order. A static list (not a folder scan) so migrations run the same from
 * `dist/` and in PGlite. Append only: never edit a migration that has shipped.
 */
export function allMigrations(settings: MigrationSettings): Record<string, Migration> {
  return {
    '0001_create_tables': createTables(settings),
    '0002_session_operations': createSessionOperations(settings),
    '0003_drop_unused_embedding_index': dropUnusedEmbeddingIndex(settings),
    '0004_camel_case_event_payloads': camelCaseEventPayloads(settings),
    '0005_transcript_excerpts': createTranscriptExcerpts(settings),
    '0006_excerpt_binary_codes': addExcerptBinaryCodes(settings),
    '0007_row_level_security': createRowLevelSecurityPolicies(settings),
    '0008_tenant_keys': addTenantKeys(settings),
    '0009_messages_tenant_session_index': rebuildMessagesSessionIndex(settings),
  }
}
