import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { MigrationSettings } from './migration-settings.js'
import { quoteIdent } from '../src/db/table-names.js'

/**
 * Creates every table of the data model: sessions and messages (the transcript layer), facts,
 * fact_sources (provenance), fact_events (history) and the meta table that records the
 * embedding dimension. Queries use logical names; the table-name plugin maps them.
 */
export function createTables({ tables, embeddingDimensions }: MigrationSettings): Migration {
  const ix = (table: string, suffix: string) => sql.id(`${table}_${suffix}`)
  return {
    async up(db: Kysely<any>) {
      await sql`create extension if not exists vector`.execute(db)

      await db.schema
        .createTable('agent_sessions')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text')
        .addColumn('namespace', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('extracted_through', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute()
      await sql`create index ${ix(tables.sessions, 'user_idx')} on ${sql.table('agent_sessions')} (user_id, namespace)`.execute(db)

      // json, not jsonb: jsonb reorders keys and rejects \u0000 and lone surrogates.
      await db.schema
        .createTable('agent_messages')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) =>
          c.notNull().references('agent_sessions.session_id').onDelete('cascade'),
        )
        .addColumn('message_data', 'json', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute()
      await sql`create index ${ix(tables.messages, 'session_idx')} on ${sql.table('agent_messages')} (session_id, id)`.execute(db)

      await db.schema
        .createTable('facts')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('kind', 'text')
        .addColumn('key', 'text')
        .addColumn('embedding', sql`vector(${sql.lit(embeddingDimensions)})`)
        .addColumn('search', sql`tsvector`, (c) =>
          c.generatedAlwaysAs(sql`to_tsvector('english', content)`).stored(),
        )
        .addColumn('status', 'text', (c) =>
          c.notNull().defaultTo('active').check(sql`status in ('active', 'superseded', 'retracted', 'forgotten')`),
        )
        .addColumn('valid_from', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('valid_to', 'timestamptz')
        .addColumn('superseded_by', 'uuid', (c) => c.references('facts.id').onDelete('set null'))
        .addColumn('confidence', 'real', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute()
      await sql`create index ${ix(tables.facts, 'scope_idx')} on ${sql.table('facts')} (user_id, namespace, status)`.execute(db)
      await sql`create index ${ix(tables.facts, 'key_idx')} on ${sql.table('facts')} (user_id, namespace, key) where key is not null`.execute(db)
      await sql`create index ${ix(tables.facts, 'search_idx')} on ${sql.table('facts')} using gin (search)`.execute(db)
      if (embeddingDimensions <= 2000) {
        // pgvector's HNSW supports up to 2,000 dimensions for the vector type.
        await sql`create index ${ix(tables.facts, 'embedding_idx')} on ${sql.table('facts')} using hnsw (embedding vector_cosine_ops)`.execute(db)
      }

      await db.schema
        .createTable('fact_sources')
        .addColumn('fact_id', 'uuid', (c) => c.notNull().references('facts.id').onDelete('cascade'))
        .addColumn('message_id', 'bigint', (c) =>
          c.notNull().references('agent_messages.id').onDelete('cascade'),
        )
        .addColumn('session_id', 'text', (c) =>
          c.notNull().references('agent_sessions.session_id').onDelete('cascade'),
        )
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint(`${tables.factSources}_pkey`, ['fact_id', 'message_id'])
        .execute()
      await sql`create index ${ix(tables.factSources, 'message_idx')} on ${sql.table('fact_sources')} (message_id)`.execute(db)
      await sql`create index ${ix(tables.factSources, 'session_idx')} on ${sql.table('fact_sources')} (session_id)`.execute(db)

      await db.schema
        .createTable('fact_events')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('fact_id', 'uuid', (c) => c.notNull().references('facts.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) =>
          c.notNull().check(
            sql`event_type in ('added', 'updated', 'superseded', 'retracted', 'forgotten', 'source_added', 'source_removed')`,
          ),
        )
        .addColumn('before', 'jsonb')
        .addColumn('after', 'jsonb')
        .addColumn('reason', 'text')
        .addColumn('job_id', 'text')
        .addColumn('extractor', 'text')
        .addColumn('model', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute()
      await sql`create index ${ix(tables.factEvents, 'fact_idx')} on ${sql.table('fact_events')} (fact_id, id)`.execute(db)
      await sql`create index ${ix(tables.factEvents, 'user_idx')} on ${sql.table('fact_events')} (user_id, namespace)`.execute(db)

      await db.schema
        .createTable('factline_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
      await db
        .insertInto('factline_meta')
        .values({ key: 'embedding_dimensions', value: String(embeddingDimensions) })
        .execute()

      await createOrphanRetraction(db, tables)
    },
    async down(db: Kysely<any>) {
      await sql`drop function if exists ${sql.id(`${tables.facts}_retract_orphans`)}() cascade`.execute(db)
      for (const t of ['fact_events', 'fact_sources', 'facts', 'agent_messages', 'agent_sessions', 'factline_meta']) {
        await db.schema.dropTable(t).ifExists().execute()
      }
    },
  }
}

/**
 * Provenance-consistent deletion, enforced by the database so every path (popItem,
 * clearSession, forgetUser, a plain SQL delete) behaves the same: when a fact loses a source
 * the loss is logged, and an active fact left with no source at all is retracted.
 */
async function createOrphanRetraction(db: Kysely<any>, tables: MigrationSettings['tables']) {
  // A function body is a string the table-name plugin cannot see into, so the physical names go in here.
  const facts = quoteIdent(tables.facts)
  const sources = quoteIdent(tables.factSources)
  const events = quoteIdent(tables.factEvents)
  const body = `
    begin
      insert into ${events} (fact_id, user_id, namespace, event_type, before, reason)
      select f.id, f.user_id, f.namespace, 'source_removed',
             jsonb_build_object('message_id', o.message_id, 'session_id', o.session_id),
             'source transcript item deleted'
      from removed_sources o join ${facts} f on f.id = o.fact_id;

      with orphaned as (
        update ${facts} f set status = 'retracted', valid_to = coalesce(f.valid_to, now()), updated_at = now()
        where f.id in (select distinct fact_id from removed_sources)
          and f.status in ('active', 'superseded')
          and not exists (select 1 from ${sources} s where s.fact_id = f.id)
        returning f.id, f.user_id, f.namespace
      )
      insert into ${events} (fact_id, user_id, namespace, event_type, after, reason)
      select id, user_id, namespace, 'retracted', jsonb_build_object('status', 'retracted'),
             'every source of this fact was deleted'
      from orphaned;
      return null;
    end`
  const fn = sql.id(`${tables.facts}_retract_orphans`)
  await sql`create or replace function ${fn}() returns trigger language plpgsql as ${sql.lit(body)}`.execute(db)
  await sql`create trigger ${sql.id(`${tables.factSources}_retract_orphans`)}
    after delete on ${sql.table('fact_sources')}
    referencing old table as removed_sources
    for each statement execute function ${fn}()`.execute(db)
}
