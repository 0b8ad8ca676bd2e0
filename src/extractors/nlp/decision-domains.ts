/**
 * Which slot a technical decision fills, from the well-known product it names, so "we decided to
 * use Postgres" and "we went with MySQL" both land on `decision_database` and the later one
 * supersedes the earlier. Unknown products give no domain (and the decision no key).
 * @internal
 */

const DOMAINS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['database', ['postgres', 'postgresql', 'mysql', 'mariadb', 'sqlite', 'mongodb', 'mongo', 'dynamodb', 'cockroachdb', 'planetscale', 'supabase', 'firestore', 'cassandra', 'sql server', 'oracle db', 'pglite']],
  ['hosting', ['aws', 'amazon web services', 'gcp', 'google cloud', 'azure', 'hetzner', 'digitalocean', 'digital ocean', 'vercel', 'netlify', 'heroku', 'fly.io', 'render', 'railway', 'cloudflare', 'linode', 'ovh', 'scaleway']],
  ['language', ['typescript', 'javascript', 'python', 'golang', 'rust', 'java', 'kotlin', 'ruby', 'elixir', 'c#', 'c++', 'swift', 'scala', 'php', 'haskell', 'zig']],
  ['frontend_framework', ['react', 'vue', 'svelte', 'sveltekit', 'angular', 'solidjs', 'next.js', 'nextjs', 'nuxt', 'remix', 'astro']],
  ['queue', ['bullmq', 'rabbitmq', 'kafka', 'sqs', 'nats', 'celery', 'sidekiq']],
  ['cache', ['redis', 'memcached', 'valkey']],
  ['ci', ['github actions', 'circleci', 'jenkins', 'gitlab ci', 'buildkite', 'travis']],
  ['orchestration', ['kubernetes', 'k8s', 'nomad', 'ecs', 'docker swarm']],
  ['payments', ['stripe', 'paddle', 'braintree', 'adyen', 'lemon squeezy']],
  ['auth', ['auth0', 'clerk', 'okta', 'keycloak', 'cognito']],
  ['orm', ['prisma', 'drizzle', 'kysely', 'typeorm', 'sequelize', 'sqlalchemy']],
  ['observability', ['datadog', 'sentry', 'grafana', 'prometheus', 'new relic', 'honeycomb']],
]

/** The decision domain (`database`, `hosting`, …) of the first well-known product named in `text`. */
export function decisionDomain(text: string): string | null {
  // "Go" the language only when capitalised: the verb ("go with") is far more common.
  if (/(?<![\p{L}])Go(?![\p{L}])/u.test(text)) return 'language'
  const lower = text.toLowerCase()
  let best: { domain: string; at: number } | null = null
  for (const [domain, names] of DOMAINS) {
    for (const name of names) {
      const at = findWord(lower, name)
      if (at >= 0 && (best === null || at < best.at)) best = { domain, at }
    }
  }
  return best?.domain ?? null
}

function findWord(haystack: string, word: string): number {
  let from = 0
  for (;;) {
    const at = haystack.indexOf(word, from)
    if (at < 0) return -1
    const before = haystack.charAt(at - 1)
    const after = haystack.charAt(at + word.length)
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}+#]/u.test(after)) return at
    from = at + 1
  }
}
