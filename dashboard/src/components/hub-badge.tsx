/** A status badge of the hub (health, process), its reason in the title and for screen readers. */
import type { Look } from '../hub/server-health';

export function HubBadge({ look }: { look: Look }) {
  return (
    <span className={look.tone === 'neutral' ? 'badge' : `badge ${look.tone}`} title={look.detail}>
      {look.label}
      <span className="visually-hidden">: {look.detail}</span>
    </span>
  );
}
