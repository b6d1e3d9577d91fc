import assert from 'node:assert/strict';
import { it } from 'node:test';
import { requestRecord } from '../store/contract/contract-support.ts';
import type { ServerDefinition } from '../store/model.ts';
import { skipUncapturedServers } from './capture-filter.ts';
import type { RequestRecord } from './request-record.ts';

it('drops the records of servers whose capture is off, passes every other one', () => {
  const written: RequestRecord[] = [];
  const servers: Record<string, ServerDefinition> = {
    quiet: { id: 'quiet', capture: { mode: 'off', masks: [] } } as unknown as ServerDefinition,
    full: { id: 'full', capture: { mode: 'full', masks: [] } } as unknown as ServerDefinition,
    plain: { id: 'plain' } as ServerDefinition,
  };
  const sink = skipUncapturedServers(
    { write: (r) => void written.push(r) },
    (_ws, id) => servers[id],
  );
  for (const serverId of ['quiet', 'full', 'plain', 'gone'])
    sink.write(requestRecord({ serverId }));
  assert.deepEqual(
    written.map((r) => r.serverId),
    ['full', 'plain', 'gone'],
  );
});
