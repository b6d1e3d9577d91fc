/** A secret the API answers once (an API key, an invitation link): copy it now or lose it. */
import { CopyField } from './copy-button';

export function ShownOnce({
  title,
  value,
  copyLabel,
  onDone,
}: {
  title: string;
  value: string;
  copyLabel: string;
  onDone: () => void;
}) {
  return (
    <section className="banner banner-warn people-shown-once" aria-label={title}>
      <div>
        <strong>{title}</strong>
        <p>
          This is shown only once: copy it now. The gateway keeps only a hash and cannot show it
          again.
        </p>
        <CopyField value={value} label={copyLabel} />
      </div>
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}
