/**
 * A detail panel sliding in from the right: a modal <dialog> (the browser
 * keeps focus inside, Escape closes it), labelled by its title. Clicking
 * beside it closes it; focus returns to what opened it.
 */
import { useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';

export function Drawer({
  title,
  onClose,
  children,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open === true) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="drawer obs-drawer"
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(event) => {
        // The dialog itself is the target only for clicks on its backdrop.
        if (event.target === ref.current) ref.current.close();
      }}
    >
      <div className="obs-drawer-body">
        <header className="obs-drawer-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" onClick={() => ref.current?.close()}>
            Close
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}
