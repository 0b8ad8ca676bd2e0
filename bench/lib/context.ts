/** What every section gets from `bench/run.ts`. */
export interface BenchContext {
  /** Scratch database URL, migrated with 384-dim embeddings. */
  url: string
  /** Server URL that can create more scratch databases (recall builds one per scale). */
  adminUrl: string
  redisUrl: string
  quick: boolean
  /** Progress goes to stderr so stdout stays a clean markdown document. */
  log(message: string): void
}
