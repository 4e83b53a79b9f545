/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Headers for every served page: no framing, no referrer (the connect page URL carries the
 * session token; it must not leak to the provider), nothing loaded from elsewhere.
 */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
} as const;

/** Document start up to the open <head> (shared by the connect pages and the dashboard). */
export function layoutHead(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}.card{border:1px solid #ddd;border-radius:10px;padding:1rem 1.2rem;margin:1rem 0}
label{display:block;margin:.6rem 0 .2rem;font-size:.9rem}input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #bbb;border-radius:6px}
button{margin-top:.8rem;padding:.55rem 1rem;border:0;border-radius:6px;background:#2f5bea;color:#fff;font-size:1rem;cursor:pointer}
.error{border-color:#e0a0a0;background:#fff5f5}.muted{color:#666;font-size:.85rem}code{background:#f2f2f2;padding:0 .25rem;border-radius:4px}
</style>`;
}

export function layout(title: string, body: string): string {
  return `${layoutHead(title)}</head><body>${body}</body></html>`;
}
