/** Shared pieces of the store contract suite (see ../store.contract.ts). */
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type { Store } from '../store.ts';
import { isStoreError } from '../store-error.ts';

export interface ContractHarness {
  /** A fresh, migrated, empty store; closed after the test. */
  open(t: TestContext): Promise<Store>;
  /** A fresh store holding workspace `acme` and user admin@acme.test. */
  seeded(
    t: TestContext,
  ): Promise<{ store: Store; user: Awaited<ReturnType<Store['users']['upsert']>> }>;
  /** A fresh store the test closes itself. */
  createStore(): Promise<Store>;
}

export function requestRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: randomUUID(),
    time: new Date('2026-01-01T00:00:00.000Z'),
    workspaceId: 'acme',
    serverId: 'everything',
    principalKind: 'api_key',
    principalId: 'user-1',
    apiKeyId: 'key-1',
    method: 'tools/call',
    target: 'echo',
    era: 'legacy',
    protocolVersion: '2025-06-18',
    sessionTag: 'abc123',
    latencyMs: 12.5,
    upstreamLatencyMs: 10.25,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    bytesIn: 120,
    bytesOut: 3_000_000_000,
    clientId: null,
    clientName: null,
    clientVersion: null,
    arguments: null,
    result: null,
    traceId: null,
    ...overrides,
  };
}

export function isStoreErrorWith(code: string) {
  return (error: unknown) => isStoreError(error) && error.code === code;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
