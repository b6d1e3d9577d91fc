/** The API shapes the hub's plain-data modules use (from the generated OpenAPI types). */
import type { ApiBody, ApiResult } from '../api/client.ts';

type Workspace = '/api/v1/workspaces/{workspaceId}';

export type ServerBody = ApiBody<`${Workspace}/servers`, 'post'>;
export type ServerDetail = ApiResult<`${Workspace}/servers/{serverId}`, 'get'>;
export type ServerHealth = ApiResult<`${Workspace}/analytics/health`, 'get'>['servers'][number];
export type ServerStatus = ApiResult<`${Workspace}/servers/{serverId}/status`, 'get'>;
