import { tool } from '@openai/agents'
import { z } from 'zod'

/** Readable one-line labels (`role:text`, `type:callId`), so a failure prints the transcript rather than JSON. */
export function labels(items: readonly unknown[]): string[] {
  return items.map((item) => {
    const r = item as Record<string, unknown>
    if (r.type === 'message' || typeof r.role === 'string') {
      const content = r.content
      const text = typeof content === 'string' ? content : (content as Array<{ text?: string }>).map((c) => c.text).join('')
      return `${String(r.role)}:${text}`
    }
    return `${String(r.type)}:${String(r.callId)}`
  })
}

/** A tool the scripted model can call: always sunny. */
export const weatherTool = () =>
  tool({
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`,
  })

/** A tool that needs approval; each path it "deletes" is pushed to `deleted`. */
export const deleteFileTool = (deleted: string[] = []) =>
  tool({
    name: 'delete_file',
    description: 'Deletes a file',
    parameters: z.object({ path: z.string() }),
    needsApproval: true,
    execute: async ({ path }) => {
      deleted.push(path)
      return `deleted ${path}`
    },
  })
