import type { AgentInputItem } from '@openai/agents'

/** What a transcript item says, flattened for extraction, display and provenance traces. */
export interface ItemText {
  /** `user`, `assistant`, `system`/`developer` for messages; otherwise the item's `type`. */
  role: string
  /** The readable text: message text, a tool call's name and arguments, a tool result's output. */
  text: string
}

/** Flattens any Agents SDK item to a role and its text; unknown shapes give empty text, never a throw. */
export function itemText(item: AgentInputItem | Record<string, unknown>): ItemText {
  const record = item as Record<string, unknown>
  const type = typeof record.type === 'string' ? record.type : undefined
  if (typeof record.role === 'string' && (type === undefined || type === 'message')) {
    return { role: record.role, text: contentText(record.content) }
  }
  switch (type) {
    case 'function_call':
      return { role: 'function_call', text: `${String(record.name ?? '')}(${String(record.arguments ?? '')})` }
    case 'function_call_result':
      return { role: 'function_call_result', text: contentText(record.output) }
    case 'reasoning':
      return { role: 'reasoning', text: contentText(record.content) }
    default:
      return { role: type ?? 'unknown', text: contentText(record.content ?? record.output) }
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return content.map(contentText).filter(Boolean).join('\n')
  if (typeof content === 'object' && content !== null) {
    const part = content as Record<string, unknown>
    if (typeof part.text === 'string') return part.text
    if (typeof part.refusal === 'string') return part.refusal
    if (typeof part.transcript === 'string') return part.transcript
  }
  return ''
}
