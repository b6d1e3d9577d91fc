/** The title of a view, a line of context, and its main actions. */
import type { ReactNode } from 'react';

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description !== undefined ? <p className="muted">{description}</p> : null}
      </div>
      {actions !== undefined ? <div className="actions">{actions}</div> : null}
    </header>
  );
}
