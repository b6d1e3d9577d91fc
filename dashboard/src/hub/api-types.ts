/**
 * The API shapes the hub's plain-data modules use, read straight from the
 * generated OpenAPI types (these modules also run under node:test, outside
 * the bundler).
 */
import type { paths } from '../api/schema.d.ts';

type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;
type Workspace = '/api/v1/workspaces/{workspaceId}';

export type ServerBody = Json<paths[`${Workspace}/servers`]['post']['requestBody']>;
export type ServerDetail = Json<paths[`${Workspace}/servers/{serverId}`]['get']['responses'][200]>;
export type ServerHealth = Json<
  paths[`${Workspace}/analytics/health`]['get']['responses'][200]
>['servers'][number];
export type ServerStatus = Json<
  paths[`${Workspace}/servers/{serverId}/status`]['get']['responses'][200]
>;
