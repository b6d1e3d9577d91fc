/**
 * The part of oidc-provider 9's API this folder uses (the package ships no
 * type declarations). Configuration stays loosely typed: it is checked by
 * oidc-provider itself at construction.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    query: Record<string, unknown>;
    type: string;
    body: unknown;
    status: number;
    req: IncomingMessage;
    oidc: {
      provider: Provider;
      route: string;
      params: Record<string, unknown>;
      body?: Record<string, unknown>;
      client?: Client;
      session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      account?: { accountId: string };
      result?: { consent?: { grantId?: string }; login?: { accountId?: string } };
      entities: Record<string, unknown>;
    };
  }

  export interface Client {
    clientId: string;
    clientName?: string;
    redirectUris: string[];
    applicationType?: string;
    clientAuthMethod: string;
    clientSecret?: string;
    clientIdMetadataDocument?: boolean;
    grantTypeAllowed(type: string): boolean;
    metadata(): Record<string, unknown>;
  }

  export interface Grant {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(ttl?: number): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface GrantConstructor {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  /** AuthorizationCode and RefreshToken: the fields the token endpoint's pre-checks read. */
  export interface AuthorizationCodeConstructor {
    find(
      value: string,
      options?: { ignoreExpiration?: boolean },
    ): Promise<
      | {
          clientId: string;
          accountId?: string;
          consumed?: unknown;
          resourceIndicators: Set<string | undefined>;
        }
      | undefined
    >;
  }

  export interface ClientConstructor {
    find(id: string): Promise<Client | undefined>;
  }

  export namespace interactionPolicy {
    class Check {
      static REQUEST_PROMPT: boolean;
      static NO_NEED_TO_PROMPT: boolean;
      constructor(
        name: string,
        description: string,
        error: string,
        check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>,
      );
      constructor(
        name: string,
        description: string,
        check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>,
      );
    }
    interface Prompt {
      checks: { remove(name: string): void; add(check: Check, index?: number): void };
    }
    function base(): { get(name: string): Prompt };
  }

  export class errors {
    static InvalidTarget: new (description?: string) => Error;
    static InvalidRedirectUri: new (description?: string) => Error;
    static InvalidClientMetadata: new (description?: string) => Error;
    static InvalidRequest: new (description?: string) => Error;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    issuer: string;
    proxy: boolean;
    Grant: GrantConstructor;
    Client: ClientConstructor;
    AuthorizationCode: AuthorizationCodeConstructor;
    RefreshToken: AuthorizationCodeConstructor;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
