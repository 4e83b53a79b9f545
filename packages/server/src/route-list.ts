import type { FastifyInstance } from 'fastify';

/** One registered route: an HTTP method and Fastify's URL pattern (`/connection/:connectionId`). */
export interface RouteEntry {
  method: string;
  url: string;
}

const lists = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Record every route registered on the app from now on, so callers (the bad-input test, which
 * must cover every route, and any future route index) enumerate what Fastify really serves.
 */
export function collectRoutes(app: FastifyInstance): void {
  const list: RouteEntry[] = [];
  lists.set(app, list);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) list.push({ method, url: route.url });
  });
}

/** The routes registered on an app built by buildServer (HEAD twins included). */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return lists.get(app) ?? [];
}
