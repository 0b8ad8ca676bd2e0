/**
 * Resolves with the first SIGTERM or SIGINT the process receives. The listeners stay until
 * `release()` is called after shutdown: the Agents SDK's tracing also listens for these signals
 * and calls process.exit() when it finds no other listener, which would cut a graceful shutdown
 * short and abandon running jobs.
 */
export function waitForShutdownSignal(): { signal: Promise<NodeJS.Signals>; release(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {}
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve
  })
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return {
    signal,
    release() {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    },
  }
}
