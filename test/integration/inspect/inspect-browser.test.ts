import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import type { AgentInputItem } from '@openai/agents'
import { UnrecoverableError, Worker } from 'bullmq'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DEMO_USER_ID, playDemo } from '../../../src/cli/demo.js'
import { serveInspector, type RunningInspector } from '../../../src/inspect/serve-inspector.js'
import { createMemory, type Memory } from '../../../src/memory.js'
import { uniqueId } from '../../helpers/test-env.js'

/** Debian's chromium (what .ci/run installs), or another system Chromium. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path))
const REQUIRED = process.env.FACTLINE_REQUIRE_SERVICES === '1'
if (!CHROMIUM) {
  if (REQUIRED) throw new Error('FACTLINE_REQUIRE_SERVICES=1 but no Chromium found: apt-get install -y chromium')
  console.warn('inspect browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium)')
}

// The README's screenshots are rewritten only on request (FACTLINE_UPDATE_SCREENSHOTS=1): ids and
// times change on every run, and a test run must leave the working tree clean.
const SCREENSHOTS = process.env.FACTLINE_UPDATE_SCREENSHOTS === '1'
  ? new URL('../../../docs/screenshots/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'factline-shots-'))}/`)
const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> I work at <b>Evil Corp</b>.'

describe.skipIf(!CHROMIUM)('factline inspect in a browser (headless Chromium)', () => {
  let memory: Memory
  let inspector: RunningInspector
  let browser: Browser
  let page: Page
  const userUrl = (tab: string, user = DEMO_USER_ID) => `${inspector.url}#/user/${encodeURIComponent(user)}?ns=default&tab=${tab}`
  const shoot = (name: string) => page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true })

  beforeAll(async () => {
    memory = await createMemory({ database: { dataDir: 'memory://' }, queue: false, openai: false, env: false })
    await playDemo(memory, () => {})
    await memory.session('hostile', { userId: 'mallory' }).addItems([{ role: 'user', content: HOSTILE } as AgentInputItem])
    await memory.flush()
    inspector = await serveInspector(memory, { port: 0, allowWrites: true })
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } })
    mkdirSync(SCREENSHOTS, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
    await inspector?.close()
    await memory?.close()
  })

  it('opens the demo user and clicks from a fact to its source message', async () => {
    await page.goto(inspector.url)
    await page.getByRole('link', { name: DEMO_USER_ID, exact: true }).waitFor()
    await shoot('users')
    await page.getByRole('link', { name: DEMO_USER_ID, exact: true }).click()
    await page.getByRole('link', { name: 'Deploys to Hetzner' }).click()
    await expect(page.getByTestId('fact-content').textContent()).resolves.toBe('Deploys to Hetzner')
    await page.getByTestId('source-link').first().click()
    const highlighted = page.locator('.msg.highlight')
    await highlighted.waitFor()
    expect(await highlighted.textContent()).toContain('We deploy to Hetzner')
    expect(page.url()).toContain('/session/monday')
    await shoot('session')
  })

  it('draws the supersession timeline Lives in Berlin → Lisbon, with the message that changed it', async () => {
    await page.goto(userUrl('facts'))
    await page.getByRole('link', { name: /Lisbon/ }).click()
    const beliefs = page.getByTestId('timeline-belief')
    await beliefs.first().waitFor()
    const texts = await beliefs.allTextContents()
    expect(texts).toHaveLength(2)
    expect(texts[0]).toContain('Lives in Berlin')
    expect(texts[1]).toContain('Lisbon')
    expect(await page.getByTestId('timeline').textContent()).toContain('I moved to Lisbon last month')
    await shoot('fact-timeline')
  })

  it('runs the recall playground and shows exactly the block memory.context injects', async () => {
    const input = 'Where do we deploy again?'
    await page.goto(userUrl('recall'))
    await page.getByTestId('recall-input').fill(input)
    await page.getByTestId('recall-run').click()
    const block = page.getByTestId('injected-block')
    await block.waitFor()
    const expected = (await memory.context({ userId: DEMO_USER_ID, input })).block
    expect(expected).toContain('Deploys to Hetzner')
    expect(await block.textContent()).toBe(expected)
    expect(await page.getByTestId('recall-item').count()).toBeGreaterThan(0)
    await shoot('recall')
  })

  it('shows pipeline health per session', async () => {
    await page.goto(userUrl('pipeline'))
    await page.getByText('caught up').first().waitFor()
    await shoot('pipeline-inline')
  })

  it('forgets a fact only after confirmation, and it is gone', async () => {
    await page.goto(userUrl('facts'))
    await page.getByRole('link', { name: 'Works at Acme' }).click()
    await page.getByTestId('forget-fact').click()
    const confirm = page.getByTestId('confirm')
    await confirm.waitFor()
    await shoot('forget-confirm')
    await page.getByRole('button', { name: 'Cancel' }).click()
    expect((await memory.facts.list({ userId: DEMO_USER_ID })).map((f) => f.content)).toContain('Works at Acme')

    await page.getByTestId('forget-fact').click()
    await page.getByTestId('confirm-yes').click()
    await page.waitForURL(/tab=facts/)
    await page.getByTestId('fact-row').first().waitFor()
    expect(await page.getByTestId('fact-row').allTextContents()).not.toContainEqual(expect.stringContaining('Works at Acme'))
    expect((await memory.facts.list({ userId: DEMO_USER_ID })).map((f) => f.content)).not.toContain('Works at Acme')
  })

  it('renders a hostile transcript as text', async () => {
    await page.goto(`${inspector.url}#/user/mallory/session/hostile?ns=default`)
    const message = page.getByTestId('message').first()
    await message.waitFor()
    expect(await message.locator('.text').textContent()).toBe(HOSTILE)
    expect(await message.locator('img, script, b').count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined()
    // The same text as a fact (if the extractor kept one) and in the users list stays text too.
    for (const url of [userUrl('facts', 'mallory') + '&status=all', inspector.url]) {
      await page.goto(url)
      await page.locator('table, p.muted').first().waitFor()
      expect(await page.locator('main img, main script, main b').count()).toBe(0)
    }
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined()
  })
})

describe.skipIf(!CHROMIUM)('factline inspect pipeline view in a browser (queue mode)', () => {
  const queueName = uniqueId('test')
  let memory: Memory
  let inspector: RunningInspector
  let browser: Browser

  beforeAll(async () => {
    memory = await createMemory({ database: { url: inject('databaseUrl') }, queue: { url: inject('redisUrl'), name: queueName }, openai: false, env: false })
    inspector = await serveInspector(memory, { port: 0, allowWrites: true })
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] })
  })
  afterAll(async () => {
    await browser?.close()
    await inspector?.close()
    await memory?.close()
  })

  it('shows a failed job with its sanitised reason, and re-enqueues it from the page', async () => {
    // Short random suffixes: unique per run, readable in the screenshot.
    const userId = `grace-${randomUUID().slice(0, 8)}`
    await memory.session(`tuesday-${randomUUID().slice(0, 8)}`, { userId }).addItems([{ role: 'user', content: 'I live in Vienna.' } as AgentInputItem])
    // A worker that fails every job for good, with a reason shaped as the real worker sanitises it.
    const failing = new Worker(queueName, async () => {
      throw new UnrecoverableError('extraction_failed (problem: refusal)')
    }, { connection: { url: inject('redisUrl') } as never })
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } })
    try {
      await page.goto(`${inspector.url}#/user/${encodeURIComponent(userId)}?ns=default&tab=pipeline`)
      // The page reads once; reload until the failure has landed in Redis.
      for (let attempt = 0; (await page.getByTestId('failed-job').count()) === 0; attempt++) {
        if (attempt > 200) throw new Error('the job never failed')
        await page.reload()
        await page.getByText('Failed jobs').waitFor()
      }
    } finally {
      await failing.close()
    }
    expect(await page.getByTestId('failed-job').textContent()).toContain('extraction_failed (problem: refusal)')
    expect(await page.getByText('lagging').count()).toBe(1)
    await page.screenshot({ path: new URL('pipeline.png', SCREENSHOTS).pathname, fullPage: true })

    await memory.worker({ concurrency: 1, sweepIntervalMs: 0 })
    await page.getByTestId('failed-job').getByRole('button', { name: 'Re-enqueue' }).click()
    await page.getByText('Extraction scheduled through').waitFor()
    await memory.flush()
    await page.reload()
    await page.getByText('caught up').waitFor()
    expect(await page.getByTestId('failed-job').count()).toBe(0)
    await page.close()
  })
})
