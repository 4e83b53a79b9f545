import type { SecretBox } from '@weft/core';
import type { ConnectionRowId, Pool } from '@weft/db';
import type { ConnectionRecord } from './connections.js';
import type { ProviderCatalog } from './load-providers.js';

/** An auth outcome for the webhook outbox (Nango's `auth` webhook, built by `nangoAuthPayload`). */
export interface AuthEvent {
  environmentId: number;
  type: 'auth';
  payload: Record<string, unknown>;
}

/** Called around a connection's life; the runner's event scripts implement it. */
export interface ConnectionHooks {
  /** After the connection is stored, before it is announced; throwing refuses it. */
  validate(connection: ConnectionRecord): Promise<void>;
  /** Once the connection exists (failures are the hook's to log). */
  created(connection: ConnectionRecord): Promise<void>;
  /** Before the connection and its records are deleted (failures are the hook's to log). */
  deleting(connection: ConnectionRecord): Promise<void>;
}

export interface AuthServiceOptions {
  pool: Pool;
  box: SecretBox;
  providers: ProviderCatalog;
  /** Public base URL; the OAuth redirect URI is `<publicUrl>/oauth/callback`. */
  publicUrl: string;
  /** Refresh tokens expiring within this many seconds. @default 300 */
  refreshMarginSeconds?: number;
  /** Called for connection creation, refresh failures, … (wired to the webhook outbox). */
  onEvent?: (event: AuthEvent) => Promise<void>;
  /** Attempts for transient token-endpoint failures (5xx, 429, network). @default 3 */
  refreshAttempts?: number;
  /** First retry delay in ms. @default 500 */
  refreshRetryDelayMs?: number;
}

/** The store every auth function reads and writes: the database, the secret box, the provider catalogue. */
export interface AuthStore {
  pool: Pool;
  box: SecretBox;
  providers: ProviderCatalog;
}

/**
 * What the auth functions work with, passed explicitly (built once by `createAuthService`).
 * Outbound requests go through core's process-wide `outboundDispatcher()` (the outbound policy).
 */
export interface AuthDeps extends AuthStore {
  /** `<publicUrl>/oauth/callback`, sent to providers and checked by them against the app's settings. */
  redirectUri: string;
  /** Refresh tokens expiring within this many seconds. */
  refreshMarginSeconds: number;
  /** Transient token-endpoint failures (5xx, 429, network) are retried with exponential backoff. */
  tokenRetry: TokenRetry;
  /** Milliseconds since the epoch (`Date.now`): when a token is due and when a refresh was asked for. */
  now: () => number;
  /** Where auth events go (the webhook outbox); undefined drops them. */
  onEvent: ((event: AuthEvent) => Promise<void>) | undefined;
  /** Event scripts around a connection's life; set after construction, as the runner needs this service first. */
  hooks: { current: ConnectionHooks | undefined };
  /** This process's refreshes under way, by connections.id: concurrent callers share one promise. */
  refreshesInFlight: Map<ConnectionRowId, Promise<ConnectionRecord>>;
}

export interface TokenRetry {
  attempts: number;
  firstDelayMs: number;
}

/** Defaults applied once; inner functions trust the result. */
export function resolveAuthDeps(options: AuthServiceOptions): AuthDeps {
  return {
    pool: options.pool,
    box: options.box,
    providers: options.providers,
    redirectUri: `${options.publicUrl.replace(/\/$/, '')}/oauth/callback`,
    refreshMarginSeconds: options.refreshMarginSeconds ?? 300,
    tokenRetry: { attempts: options.refreshAttempts ?? 3, firstDelayMs: options.refreshRetryDelayMs ?? 500 },
    now: Date.now,
    onEvent: options.onEvent,
    hooks: { current: undefined },
    refreshesInFlight: new Map(),
  };
}
