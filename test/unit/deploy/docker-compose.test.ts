import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/** No Docker engine runs here, so the compose file is checked by reading it. */
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Record<string, any>>
  volumes: Record<string, unknown>
}
const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')
const envExample = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8')
const gitignore = readFileSync(new URL('../../../.gitignore', import.meta.url), 'utf8')

const service = (name: string) => compose.services[name]!
/** `${NAME:?message}`: compose refuses to start while NAME is unset or empty. */
const required = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`)
const requiredInside = (name: string) => new RegExp(`\\$\\{${name}:\\?[^}]+\\}`)
/** A URL whose password is a compose interpolation, which `new URL` would reject. */
const urlParts = (url: string) => {
  const m = /^(\w+):\/\/([^:@/]*):(\$\{[^}]+\})@([^:/]+):(\d+)(\/\w*)?$/.exec(url)
  expect(m, url).not.toBeNull()
  const [, scheme, user, password, host, port, path] = m!
  return { scheme, user, password, host, port, path }
}

describe('docker-compose.yml', () => {
  it('defines postgres (with pgvector), redis, a one-shot migrate and the worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['migrate', 'postgres', 'redis', 'worker'])
    expect(service('postgres').image).toMatch(/^pgvector\/pgvector:pg1[5-9]$/)
    expect(service('redis').image).toMatch(/^redis:7/)
    expect(service('migrate').restart).toBe('no')
  })

  it('gives the data services healthchecks and persistent volumes', () => {
    for (const name of ['postgres', 'redis']) {
      expect(service(name).healthcheck?.test).toBeDefined()
      const volume = String(service(name).volumes?.[0]).split(':')[0]!
      expect(Object.keys(compose.volumes)).toContain(volume)
    }
  })

  it('keeps what BullMQ needs from Redis: no eviction and an append-only file', () => {
    const command: string[] = service('redis').command
    expect(command[command.indexOf('--maxmemory-policy') + 1]).toBe('noeviction')
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes')
  })

  it('builds migrate and worker from this repository and runs real CLI commands', () => {
    expect(service('migrate').build).toBe('.')
    expect(service('worker').build).toBe('.')
    expect(service('migrate').command).toEqual(['migrate'])
    expect(service('worker').command).toEqual(['worker'])
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/src/cli/main.js"]')
  })

  it('starts the worker only after the databases are healthy and migrations succeeded', () => {
    expect(service('worker').depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    })
    expect(service('migrate').depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
  })
})

describe('docker-compose.yml deployable defaults', () => {
  it('publishes ports on 127.0.0.1 only', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) =>
      ((s.ports ?? []) as unknown[]).map((port) => ({ name, port })),
    )
    expect(published.length).toBeGreaterThan(0)
    for (const { name, port } of published) {
      // The long syntax ({ target, published, host_ip }) would need the same host_ip.
      expect(typeof port, name).toBe('string')
      expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/)
    }
  })

  it('takes every password from a required environment variable', () => {
    const env = service('postgres').environment
    expect(env.POSTGRES_PASSWORD).toMatch(required('POSTGRES_PASSWORD'))
    expect(env.FACTLINE_MIGRATOR_PASSWORD).toMatch(required('FACTLINE_MIGRATOR_PASSWORD'))
    expect(env.FACTLINE_APP_PASSWORD).toMatch(required('FACTLINE_APP_PASSWORD'))
    expect(JSON.stringify(compose)).not.toMatch(/factline:factline/)
  })

  it('runs Redis with requirepass and authenticates its healthcheck', () => {
    const command: string[] = service('redis').command
    expect(command[command.indexOf('--requirepass') + 1]).toMatch(required('REDIS_PASSWORD'))
    // redis-cli reads REDISCLI_AUTH; it exits 0 even on NOAUTH, so the check must look for PONG.
    expect(service('redis').environment.REDISCLI_AUTH).toMatch(required('REDIS_PASSWORD'))
    expect(service('redis').healthcheck.test.join(' ')).toMatch(/redis-cli ping \| grep -q PONG/)
  })

  it('mounts the roles script (and only it) into the postgres init folder', () => {
    expect(service('postgres').volumes).toContain('./deploy/postgres/01-roles.sh:/docker-entrypoint-initdb.d/01-roles.sh:ro')
    expect(service('postgres').volumes.filter((v: string) => v.includes('/docker-entrypoint-initdb.d'))).toHaveLength(1)
  })

  it('checks postgres health over TCP, which the entrypoint opens only after the init scripts ran', () => {
    expect(service('postgres').healthcheck.test.join(' ')).toMatch(/pg_isready -h 127\.0\.0\.1 /)
  })

  it('runs migrations as factline_migrator and the worker as factline_worker, never the superuser', () => {
    const superuser = service('postgres').environment.POSTGRES_USER
    const migrate = urlParts(service('migrate').environment.DATABASE_URL)
    const worker = urlParts(service('worker').environment.DATABASE_URL)
    expect(migrate).toMatchObject({ scheme: 'postgres', user: 'factline_migrator', host: 'postgres', path: '/factline' })
    expect(migrate.password).toMatch(requiredInside('FACTLINE_MIGRATOR_PASSWORD'))
    expect(worker).toMatchObject({ scheme: 'postgres', user: 'factline_worker', host: 'postgres', path: '/factline' })
    expect(worker.password).toMatch(requiredInside('FACTLINE_WORKER_PASSWORD'))
    expect([migrate.user, worker.user]).not.toContain(superuser)
    expect(service('postgres').environment.POSTGRES_DB).toBe('factline')
  })

  it('gives the worker an authenticated Redis URL by service name', () => {
    const redis = urlParts(service('worker').environment.REDIS_URL)
    expect(redis).toMatchObject({ scheme: 'redis', user: '', host: 'redis', port: '6379' })
    expect(redis.password).toMatch(requiredInside('REDIS_PASSWORD'))
  })

  it('lists every required variable in .env.example, and keeps .env out of git', () => {
    const text = readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')
    const requiredVars = new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!))
    expect([...requiredVars].sort()).toEqual(['FACTLINE_APP_PASSWORD', 'FACTLINE_MIGRATOR_PASSWORD', 'FACTLINE_WORKER_PASSWORD', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD'])
    for (const name of requiredVars) expect(envExample).toMatch(new RegExp(`^${name}=\\S+$`, 'm'))
    expect(gitignore.split('\n')).toContain('.env')
  })
})
