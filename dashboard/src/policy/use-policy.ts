/**
 * A server's policy document as a draft the tabs edit, saved as a new
 * version guarded by the version it was read at (`expected_version`): a
 * change made meanwhile by someone else is a 409, which reloads the current
 * document and says so instead of overwriting it.
 */
import { useCallback, useState } from 'react';
import { ApiError, api } from '../api/client';
import { useApi } from '../api/use-api';
import { asPolicyDocument, sameDocument } from './policy-document';
import type { PolicyDocument } from './policy-document';

export interface PolicyDraft {
  /** The saved document; undefined until loaded. */
  saved: PolicyDocument | undefined;
  version: number;
  updatedAt: string | null;
  draft: PolicyDocument | undefined;
  dirty: boolean;
  loadError: Error | undefined;
  saveError: Error | undefined;
  /** A line to show after a save or a conflict. */
  notice: { kind: 'ok' | 'warn'; text: string } | undefined;
  saving: boolean;
  /** Changes when the draft is thrown away (discard, save, conflict): forms holding their own text start afresh. */
  generation: number;
  edit: (change: (document: PolicyDocument) => PolicyDocument) => void;
  discard: () => void;
  save: (document?: PolicyDocument) => Promise<boolean>;
  reload: () => void;
}

export function usePolicy(workspaceId: string, serverId: string): PolicyDraft {
  const loaded = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/policy', {
        path: { workspaceId, serverId },
        signal,
      }),
    [workspaceId, serverId],
  );
  const [edits, setEdits] = useState<{ version: number; draft: PolicyDocument } | undefined>();
  const [saveError, setSaveError] = useState<Error | undefined>();
  const [notice, setNotice] = useState<PolicyDraft['notice']>();
  const [saving, setSaving] = useState(false);
  const [generation, setGeneration] = useState(0);
  const saved = loaded.data === undefined ? undefined : asPolicyDocument(loaded.data.document);
  const version = loaded.data?.version ?? 0;
  // Edits made on an older version are dropped when a newer one loads.
  const draft = edits !== undefined && edits.version === version ? edits.draft : saved;
  const { reload } = loaded;

  const edit = useCallback(
    (change: (document: PolicyDocument) => PolicyDocument) => {
      if (draft === undefined) return;
      setNotice(undefined);
      setEdits({ version, draft: change(draft) });
    },
    [draft, version],
  );

  const save = useCallback(
    async (document?: PolicyDocument) => {
      const body = document ?? draft;
      if (body === undefined) return false;
      setSaving(true);
      setSaveError(undefined);
      try {
        const result = await api.put('/api/v1/workspaces/{workspaceId}/servers/{serverId}/policy', {
          path: { workspaceId, serverId },
          query: { expected_version: version },
          body,
        });
        setEdits(undefined);
        setNotice({
          kind: 'ok',
          text: `Saved as version ${result.version}; it applies to the next request.`,
        });
        reload();
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          setEdits(undefined);
          setNotice({
            kind: 'warn',
            text: 'Someone changed this policy meanwhile. The current version is shown; your changes were not saved — make them again.',
          });
          reload();
        } else setSaveError(error instanceof Error ? error : new Error(String(error)));
        return false;
      } finally {
        setSaving(false);
      }
    },
    [draft, reload, serverId, version, workspaceId],
  );

  return {
    saved,
    version,
    updatedAt: loaded.data?.updated_at ?? null,
    draft,
    dirty: saved !== undefined && draft !== undefined && !sameDocument(saved, draft),
    loadError: loaded.error,
    saveError,
    notice,
    saving,
    generation: generation * 1_000_000 + version,
    edit,
    discard: () => {
      setEdits(undefined);
      setSaveError(undefined);
      setGeneration((n) => n + 1);
    },
    save,
    reload,
  };
}
