import type { HTTPMethods } from 'fastify';
import type { z } from 'zod';

/** One response of a route: its schema (JSON unless `contentType` says otherwise). */
export interface ResponseContract {
  description: string;
  schema: z.ZodType;
  /** Several when the route serves files of different types. @default application/json */
  contentType?: string | readonly string[];
}

/**
 * The contract of one route: what it accepts and what it answers. Declared once (in
 * `routes.ts`, from the area schemas the route itself parses with) and published as
 * `GET /openapi.json`; a test checks every registered route has one.
 */
export interface RouteContract {
  /** `ALL`: every method (Fastify's `all`, the proxy). */
  method: HTTPMethods | 'ALL';
  /** Fastify path: `/connections/:connectionId`, `/proxy/*`. */
  url: string;
  summary: string;
  /** The area (OpenAPI tag). */
  tag: string;
  /** No secret key (health, pages, OAuth callback). */
  public?: boolean;
  /** The `@nangohq/node` method that calls it, when there is one. */
  nangoClient?: string;
  params?: z.ZodObject;
  query?: z.ZodType;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** Success answers by status; every route may also answer the `Error` shape. */
  responses: Record<number, ResponseContract>;
}
