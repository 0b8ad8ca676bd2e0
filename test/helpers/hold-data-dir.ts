// A second process for the data-folder lock test: opens embedded memory in argv[2], says "ready",
// and keeps it open until it is killed (or closes it at once with argv[3] === 'close').
import { createMemory } from '../../src/memory.js'

const memory = await createMemory({ database: { dataDir: process.argv[2]! }, env: false })
if (process.argv[3] === 'close') {
  await memory.close()
  console.log('closed')
} else {
  console.log('ready')
  setInterval(() => {}, 60_000)
}
