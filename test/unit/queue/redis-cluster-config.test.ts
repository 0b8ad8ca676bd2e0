import { describe, expect, it } from 'vitest'
import { queueSettingsFrom } from '../../../src/config/components.js'
import { configFromEnv } from '../../../src/config/env.js'
import { resolveFactlineOptions } from '../../../src/config/factline-options.js'
import { bullQueueName, clusterQueueName, hasHashTag } from '../../../src/queue/hash-tag.js'
import { clusterStartup, describeClusterNodes } from '../../../src/queue/redis-cluster-nodes.js'
import { sweepQueueName } from '../../../src/queue/sweep-schedule.js'

describe('hash tags of queue names', () => {
  it('finds a tag as Redis Cluster does: the first {…} that is not empty', () => {
    expect(hasHashTag('{q}')).toBe(true)
    expect(hasHashTag('jobs{tenant}x')).toBe(true)
    expect(hasHashTag('{}q')).toBe(false)
    expect(hasHashTag('q}{')).toBe(false)
    expect(hasHashTag('factline-extraction-0123abcd4567')).toBe(false)
  })

  it('wraps a name in braces on a cluster, once, and keeps a name that has its own tag', () => {
    expect(clusterQueueName('factline-extraction-0123abcd4567')).toBe('{factline-extraction-0123abcd4567}')
    expect(clusterQueueName(clusterQueueName('q'))).toBe('{q}')
    expect(clusterQueueName('jobs{tenant}')).toBe('jobs{tenant}')
    // No tag yet, though it has braces: wrapping gives it one.
    expect(hasHashTag(clusterQueueName('{}q'))).toBe(true)
  })

  it('leaves names on a single Redis as they were, so jobs queued before an upgrade stay found', () => {
    expect(bullQueueName('factline-extraction-abc', { isCluster: false })).toBe('factline-extraction-abc')
    expect(bullQueueName('factline-extraction-abc', { isCluster: true })).toBe('{factline-extraction-abc}')
  })

  it("names the sweep's companion queue within the extraction queue's tag", () => {
    expect(sweepQueueName(clusterQueueName('q'))).toBe('{q}-sweep')
  })
})

describe('REDIS_CLUSTER_NODES', () => {
  it('reads a comma-separated list of node URLs, spaces and blanks ignored', () => {
    const env = configFromEnv({ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000, redis://10.0.0.2:7001,' })
    expect(env.redisClusterNodes).toEqual(['redis://10.0.0.1:7000', 'redis://10.0.0.2:7001'])
    expect(env.redisUrl).toBeUndefined()
    expect(queueSettingsFrom(undefined, env)).toEqual({ cluster: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7001'] })
    expect(configFromEnv({ REDIS_CLUSTER_NODES: '  ' }).redisClusterNodes).toBeUndefined()
  })

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together', () => {
    expect(() => configFromEnv({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'redis://127.0.0.1:7000' })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('not both') }),
    )
  })

  it.each([
    ['127.0.0.1:7000', 'expected a redis://host:port URL'],
    ['http://127.0.0.1:7000', 'expected redis:// or rediss://'],
    ['redis://127.0.0.1:7000/2', 'only database 0'],
    ['redis://127.0.0.1:7000,rediss://127.0.0.1:7001', 'same scheme'],
    ['redis://:a@127.0.0.1:7000,redis://:b@127.0.0.1:7001', 'same username and password'],
  ])('refuses %s with invalid_config naming the problem', (value, problem) => {
    expect(() => configFromEnv({ REDIS_CLUSTER_NODES: value })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(problem) }),
    )
  })

  it('never puts a password into the error', () => {
    try {
      configFromEnv({ REDIS_CLUSTER_NODES: 'redis://:hunter2@127.0.0.1:7000,redis://:hunter3@127.0.0.1:7001' })
      expect.unreachable()
    } catch (error) {
      expect(JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details })).not.toContain('hunter')
    }
  })
})

describe('queue: { cluster }', () => {
  it('accepts a list of node URLs', () => {
    const config = resolveFactlineOptions({ queue: { cluster: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'], name: 'q' } })
    expect(config.queue).toEqual({ cluster: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'], name: 'q' })
  })

  it.each([
    [{ cluster: [] }, 'at least one'],
    [{ cluster: ['nope'] }, 'expected a redis://host:port URL'],
    [{ cluster: ['redis://127.0.0.1:7000'], url: 'redis://127.0.0.1:6379' }, ''],
    [{ cluster: 'redis://127.0.0.1:7000' }, ''],
  ])('refuses %j with invalid_config', (queue, problem) => {
    expect(() => resolveFactlineOptions({ queue: queue as never })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(problem) }),
    )
  })
})

describe('clusterStartup', () => {
  it('splits node URLs into startup nodes and the options every node shares', () => {
    expect(clusterStartup(['rediss://app:s%40cret@h1:7000', 'rediss://app:s%40cret@[::1]:7001', 'rediss://app:s%40cret@h3'])).toEqual({
      startupNodes: [
        { host: 'h1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'h3', port: 6379 },
      ],
      nodeOptions: { username: 'app', password: 's@cret', tls: {} },
    })
    expect(clusterStartup(['redis://h1:7000']).nodeOptions).toEqual({})
  })

  it('describes nodes without their password', () => {
    expect(describeClusterNodes(['redis://:secret@h1:7000', 'redis://h2:7001'])).toBe('cluster h1:7000, h2:7001')
  })
})
