/** Loads data from the API for a view: the value, the error, and a way to load again. */
import { useCallback, useEffect, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True until the load for the current deps settled (the previous data stays shown meanwhile). */
  loading: boolean;
  reload: () => void;
}

interface Settled<T> {
  key: string;
  data: T | undefined;
  error: Error | undefined;
}

/**
 * `deps` name what the load depends on; they must be JSON values (ids,
 * filters), which also tell a settled answer for older deps from a current one.
 */
export function useApi<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): Loaded<T> {
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | undefined>(undefined);
  const key = JSON.stringify([...deps, generation]);
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setSettled({ key, data, error: undefined });
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        const error = reason instanceof Error ? reason : new Error(String(reason));
        setSettled((previous) => ({ key, data: previous?.data, error }));
      },
    );
    return () => controller.abort();
    // `load` is a fresh closure each render; `key` captures what it depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return {
    data: settled?.data,
    error: settled?.error,
    loading: settled?.key !== key,
    reload,
  };
}
