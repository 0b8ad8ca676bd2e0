import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/** No Docker engine runs here, so the compose file is checked by reading it. */
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Record<string, any>>
  volumes: Record<string, unknown>
}
const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')

describe('docker-compose.yml', () => {
  it('defines postgres (with pgvector), redis, a one-shot migrate and the worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['migrate', 'postgres', 'redis', 'worker'])
    expect(compose.services.postgres!.image).toMatch(/^pgvector\/pgvector:pg1[5-9]$/)
    expect(compose.services.redis!.image).toMatch(/^redis:7/)
    expect(compose.services.migrate!.restart).toBe('no')
  })

  it('gives the data services healthchecks and persistent volumes', () => {
    for (const name of ['postgres', 'redis']) {
      expect(compose.services[name]!.healthcheck?.test).toBeDefined()
      const volume = String(compose.services[name]!.volumes?.[0]).split(':')[0]!
      expect(Object.keys(compose.volumes)).toContain(volume)
    }
    expect(compose.services.redis!.command).toContain('noeviction')
  })

  it('builds migrate and worker from this repository and runs real CLI commands', () => {
    expect(compose.services.migrate!.build).toBe('.')
    expect(compose.services.worker!.build).toBe('.')
    expect(compose.services.migrate!.command).toEqual(['migrate'])
    expect(compose.services.worker!.command).toEqual(['worker'])
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/src/cli/main.js"]')
  })

  it('points the services at each other by service name', () => {
    const pgUrl = new URL(compose.services.worker!.environment.DATABASE_URL)
    expect(pgUrl.hostname).toBe('postgres')
    const env = compose.services.postgres!.environment
    expect(pgUrl.username).toBe(env.POSTGRES_USER)
    expect(pgUrl.password).toBe(env.POSTGRES_PASSWORD)
    expect(pgUrl.pathname).toBe(`/${env.POSTGRES_DB}`)
    expect(compose.services.migrate!.environment.DATABASE_URL).toBe(compose.services.worker!.environment.DATABASE_URL)
    expect(new URL(compose.services.worker!.environment.REDIS_URL).hostname).toBe('redis')
  })

  it('starts the worker only after the databases are healthy and migrations succeeded', () => {
    expect(compose.services.worker!.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    })
    expect(compose.services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
  })
})
