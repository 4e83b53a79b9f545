// The only door to the server: the secret key stays in this tab's sessionStorage and is only ever
// sent as the Authorization header to this origin.

const KEY = 'weft-key';
export const key = () => sessionStorage.getItem(KEY);
export const setKey = (value) => sessionStorage.setItem(KEY, value);
export const clearKey = () => sessionStorage.removeItem(KEY);

export class ApiError extends Error {}

/** JSON API call; a 401 forgets the key (the app shows the sign-in form again). */
export async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: {
      authorization: `Bearer ${key()}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.headers || {}),
    },
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (response.status === 401) {
    clearKey();
    window.dispatchEvent(new Event('weft:signed-out'));
    throw new ApiError('Secret key refused');
  }
  if (!response.ok)
    throw new ApiError(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}
