import type { AuthService } from '@weft/auth';
import type { SecretBox, WeftConfig } from '@weft/core';
import type { Environment, Pool } from '@weft/db';
import type { OutboundProxy } from '@weft/proxy';
import type { RecordCipher } from '@weft/records';
import type { Runner } from '@weft/runner';
import type { ActionHeartbeats, Scheduler } from '@weft/scheduler';
import type { FastifyBaseLogger } from 'fastify';
import type { LookupCache } from './lookup-cache.js';

/**
 * Everything route plugins need, built once by the entry point (cli `start`) and passed in.
 * Areas add their services here as they land.
 */
export interface ServerContext {
  config: WeftConfig;
  pool: Pool;
  box: SecretBox;
  /** Public base URL (no trailing slash), for links and OAuth callbacks. */
  publicUrl: string;
  /** Auth core (providers, integrations, connections); its routes are registered when present. */
  auth?: AuthService;
  /** Outbound proxy engine; `ALL /proxy/*` and `GET /logs/proxy` are registered when present. */
  proxy?: OutboundProxy;
  /** Script runtime; deploy, scripts config, action trigger and dryrun routes when present. */
  runner?: Runner;
  /** Scheduler; the /sync/* control routes are registered when present. */
  scheduler?: Scheduler;
  /** Opens sealed record payloads (WEFT_RECORDS_ENCRYPTION=on). */
  recordCipher?: RecordCipher;
  /** Heartbeats of this process's async action runs (set by buildServer). */
  actionHeartbeats?: ActionHeartbeats;
  /** Per-request lookups remembered until a change is notified (set by buildServer). */
  lookups?: LookupCache;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The environment whose secret key authenticated this request (unset on public routes). */
    environment: Environment;
  }
  interface FastifyInstance {
    /** What requests look up (key → environment, records target), remembered until a change is notified. */
    lookups: LookupCache;
  }
  interface FastifyContextConfig {
    /** Route needs no secret key (health, connect page, OAuth callback). */
    public?: boolean;
  }
}

export type { FastifyBaseLogger };
