import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { expect, inject, it } from 'vitest'
import { PostgresSession } from '../../../src/session/postgres-session.js'
import { uniqueId } from '../../helpers/test-env.js'
import { describeWith } from '../../helpers/services.js'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

function urlWithApp(appName: string): string {
  const u = new URL(inject('databaseUrl'))
  u.searchParams.set('application_name', appName)
  return u.toString()
}

async function connectionsOf(admin: pg.Client, appName: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [appName])
  return Number(rows[0]!.n)
}

describeWith('postgres')('one pool per database URL', () => {
  it('keeps 500 concurrent sessions from one URL within the pool size, and ends the pool with its last session', async () => {
    const appName = uniqueId('pool').slice(0, 60)
    const url = urlWithApp(appName)
    const admin = new pg.Client({ connectionString: inject('databaseUrl') })
    await admin.connect()
    try {
      const sessions = Array.from({ length: 500 }, (_, i) =>
        new PostgresSession({ sessionId: uniqueId(`s${i}`), userId: 'pool-user', database: { url, poolSize: 4 } }),
      )
      let peak = 0
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await connectionsOf(admin, appName))
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      await Promise.all(
        sessions.map(async (s, i) => {
          await s.addItems([{ role: 'user', content: `message ${i}` }])
          expect(await s.getItems()).toHaveLength(1)
        }),
      )
      sampling = false
      await sampler
      expect(peak).toBeGreaterThan(0)
      expect(peak).toBeLessThanOrEqual(4)

      await Promise.all(sessions.slice(1).map((s) => s.close()))
      expect(await sessions[0]!.getItems()).toHaveLength(1) // the pool lives while one session holds it
      await sessions[0]!.close()
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(await connectionsOf(admin, appName)).toBe(0)
    } finally {
      await admin.end()
    }
  })

  it('lets a short script exit without close()', async () => {
    const script = `
      import { PostgresSession } from './src/session/postgres-session.ts'
      const s = PostgresSession.fromUrl('exit-check-${uniqueId('s')}', { url: process.env.TEST_URL, userId: 'exit-user' })
      await s.addItems([{ role: 'user', content: 'hello' }])
      console.log((await s.getItems()).length)
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env: { ...process.env, TEST_URL: inject('databaseUrl') },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    )
    clearTimeout(killer)
    expect(signal).toBeNull() // not killed: it exited on its own with idle connections open
    expect(code).toBe(0)
    expect(out.trim()).toBe('1')
  })
})
