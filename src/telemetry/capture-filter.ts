/**
 * Capture mode `off`: the server's records go no further than this filter
 * (metrics, placed before it, still count them). The mode is read from the
 * live server definition, so a change applies to the next message.
 */
import type { ServerDefinition } from '../store/model.ts';
import { captureSettingsOf } from './capture-interceptor.ts';
import type { RequestRecord } from './request-record.ts';

export interface RecordSink {
  write(record: RequestRecord): void;
}

export function skipUncapturedServers(
  sink: RecordSink,
  serverOf: (workspaceId: string, serverId: string) => ServerDefinition | undefined,
): RecordSink {
  return {
    write(record) {
      const server = serverOf(record.workspaceId, record.serverId);
      if (server !== undefined && captureSettingsOf(server).mode === 'off') return;
      sink.write(record);
    },
  };
}
