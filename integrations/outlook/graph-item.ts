/** The slice of the `nango` object reading one Graph item needs (syncs and actions both have it). */
interface NangoGet {
  get<T>(config: {
    endpoint: string;
    params?: Record<string, string>;
    headers?: Record<string, string>;
    retries?: number;
  }): Promise<{ data: T }>;
}

/** One Graph item by its endpoint (`/v1.0/me/events/{id}`, …); undefined when Graph answers 404. */
export async function getGraphItem<T>(
  nango: NangoGet,
  endpoint: string,
  request: { params?: Record<string, string>; headers?: Record<string, string> },
): Promise<T | undefined> {
  return nango.get<T>({ endpoint, ...request, retries: 2 }).then(
    (response) => response.data,
    (error: { response?: { status?: number } }) => {
      if (error.response?.status === 404) return undefined;
      throw error;
    },
  );
}

/**
 * The item a Graph change notification (with resource data) names, read again from `collection`
 * (`/v1.0/me/events`, `/v1.0/me/messages`): `item` is undefined when Graph no longer has it, and
 * the answer is undefined when the payload names no item. Reading it rather than trusting the
 * change type also covers a notification delivered late or twice.
 */
export async function readNotifiedItem<T>(
  nango: NangoGet,
  payload: unknown,
  collection: string,
  request: { params?: Record<string, string>; headers?: Record<string, string> },
): Promise<{ id: string; item: T | undefined } | undefined> {
  const id = (payload as { resourceData?: { id?: unknown } }).resourceData?.id;
  if (typeof id !== 'string' || id === '') return undefined;
  return { id, item: await getGraphItem<T>(nango, `${collection}/${encodeURIComponent(id)}`, request) };
}
