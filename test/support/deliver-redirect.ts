/**
 * Delivers an OAuth redirect to a client's loopback callback the way a browser
 * would (one GET), retrying while nothing listens yet: clients such as
 * mcp-remote and the conformance suite may start their listener only after
 * printing the authorize URL or after the browser returns.
 */
const ATTEMPTS = 80;
const INTERVAL_MS = 250;

/** Resolves to the callback's HTTP status; rejects when it never answered. */
export async function deliverRedirect(redirect: string): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const response = await fetch(redirect, {
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      await response.body?.cancel();
      return response.status;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
  }
  throw new Error(`the callback never answered: ${String(lastError)}`, { cause: lastError });
}
