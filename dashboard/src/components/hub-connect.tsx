/** "Connect your client": each client's steps and the exact snippet, with a copy button. */
import { Link } from 'wouter';
import { clientGuides } from '../hub/client-snippets';
import type { ClientGuide } from '../hub/client-snippets';
import { CopyButton } from './copy-button';

function Snippet({ label, where, snippet }: { label: string; where: string; snippet: string }) {
  return (
    <div className="hub-snippet">
      <div className="hub-snippet-head">
        <span className="muted">{where}</span>
        <CopyButton value={snippet} label={`Copy ${label}`} />
      </div>
      <pre>
        <code>{snippet}</code>
      </pre>
    </div>
  );
}

function Guide({ guide }: { guide: ClientGuide }) {
  const headingId = `connect-${guide.id}`;
  return (
    <section className="panel hub-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{guide.title}</h2>
      <ol>
        {guide.steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <Snippet label={`${guide.title} setting`} where={guide.where} snippet={guide.snippet} />
      {guide.withApiKey !== undefined ? (
        <details>
          <summary>With an API key instead of signing in</summary>
          <Snippet
            label={`${guide.title} setting with an API key`}
            where={guide.withApiKey.where}
            snippet={guide.withApiKey.snippet}
          />
        </details>
      ) : null}
    </section>
  );
}

export function ConnectGuide({ endpoint, name }: { endpoint: string; name: string }) {
  return (
    <>
      <p>
        Clients that support MCP authorization (OAuth) need only the URL: they open the
        gateway&apos;s sign-in page in your browser the first time, and ask you to allow access.
        Others send an API key, which you create under <Link href="/api-keys">API keys</Link>.
      </p>
      {clientGuides(endpoint, name).map((guide) => (
        <Guide key={guide.id} guide={guide} />
      ))}
    </>
  );
}
