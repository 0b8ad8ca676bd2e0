import { z } from 'zod'

/**
 * A request to extract: "extract facts from this session, at least through this message".
 * The pipeline always reads every item past the session's watermark, so a request that arrives
 * after a later one already ran finds nothing to do, and coalesced turns are all covered.
 * The BullMQ scheduler sends it as a job payload; the inline scheduler uses it in process.
 */
export const ExtractionJobSchema = z.strictObject({
  sessionId: z.string().min(1).max(512),
  throughMessageId: z.number().int().nonnegative(),
  /** The session's user, sealed (`queue/sealed-user.ts`): Redis never holds a user id. Absent on jobs queued before 0008. */
  user: z.string().min(1).max(4096).optional(),
  /** Tag of the database the session lives in (see `queue/queue-name.ts`); a worker of another database refuses the job. */
  database: z.string().min(1).max(64).optional(),
})
export type ExtractionJob = z.output<typeof ExtractionJobSchema>

/** What a scheduler is asked to extract: the job without its wire fields, and the user when known (sealed on the way to Redis). */
export interface ExtractionRequest {
  sessionId: string
  throughMessageId: number
  userId?: string | undefined
}
