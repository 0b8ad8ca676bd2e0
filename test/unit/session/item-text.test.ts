import { describe, expect, it } from 'vitest'
import { itemText } from '../../../src/session/item-text.js'

describe('itemText', () => {
  it.each([
    [{ role: 'user', content: 'plain' }, { role: 'user', text: 'plain' }],
    [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_image', image: 'x' }, { type: 'input_text', text: 'b' }] },
      { role: 'user', text: 'a\nb' },
    ],
    [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'reply' }] }, { role: 'assistant', text: 'reply' }],
    [{ type: 'function_call', name: 'f', arguments: '{"a":1}', callId: 'c' }, { role: 'function_call', text: 'f({"a":1})' }],
    [{ type: 'function_call_result', callId: 'c', output: { type: 'text', text: 'out' } }, { role: 'function_call_result', text: 'out' }],
    [{ type: 'mystery' }, { role: 'mystery', text: '' }],
  ])('flattens %j', (item, expected) => {
    expect(itemText(item)).toEqual(expected)
  })
})
