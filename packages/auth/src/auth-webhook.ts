/**
 * Auth events as Nango's `NangoAuthWebhookBody`: `from`, `type`, `connectionId`, `authMode`,
 * `providerConfigKey`, `provider`, `environment`, `operation`, `success`, `endUser`
 * (`endUserId`, `organizationId`, `endUserEmail`, `tags`) and, on failure, `error` as Nango's
 * `{ type, description }` beside Weft's `{ code, message }`. Fields Weft already sent stay.
 */
export function nangoAuthPayload(payload: Record<string, unknown>, environment: string): Record<string, unknown> {
  const stored = payload.endUser as Record<string, unknown> | null | undefined;
  const organization = stored?.organization as { id?: unknown } | undefined;
  const tags =
    stored?.tags !== null && typeof stored?.tags === 'object' ? (stored.tags as Record<string, string>) : undefined;
  const error = payload.error as { code?: unknown; message?: unknown } | undefined;
  return {
    from: 'nango',
    connectionId: '',
    authMode: 'unknown',
    provider: '',
    ...payload,
    environment,
    ...(tags === undefined ? {} : { tags }),
    endUser:
      stored !== null && stored !== undefined && typeof stored.id === 'string'
        ? {
            endUserId: stored.id,
            ...(typeof organization?.id === 'string' ? { organizationId: organization.id } : {}),
            endUserEmail: typeof stored.email === 'string' ? stored.email : null,
            tags: tags ?? {},
          }
        : undefined,
    ...(error === undefined
      ? {}
      : { error: { type: String(error.code ?? 'unknown'), description: String(error.message ?? ''), ...error } }),
  };
}
