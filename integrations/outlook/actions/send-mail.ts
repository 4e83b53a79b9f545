import { createAction } from 'nango';
import * as z from 'zod';

const Email = z.email({ error: 'must be an email address' });

/** Send a message as the user (`POST /me/sendMail`); it lands in Sent Items unless told otherwise. */
export default createAction({
  description: 'Send an email as the connected user',
  version: '1.0.0',
  input: z.object({
    to: z.array(Email).min(1, { error: 'needs at least one recipient' }),
    cc: z.array(Email).optional(),
    subject: z.string().min(1, { error: 'must not be empty' }).max(255),
    body: z.string(),
    contentType: z.enum(['text', 'html']).optional(),
    saveToSentItems: z.boolean().optional(),
  }),
  output: z.object({ sent: z.literal(true) }),
  endpoint: { method: 'POST', path: '/send-mail' },
  scopes: ['Mail.Send'],
  exec: async (nango, input) => {
    const recipients = (list: string[] | undefined) => (list ?? []).map((address) => ({ emailAddress: { address } }));
    await nango.post({
      endpoint: '/v1.0/me/sendMail',
      data: {
        message: {
          subject: input.subject,
          body: { contentType: input.contentType === 'html' ? 'HTML' : 'Text', content: input.body },
          toRecipients: recipients(input.to),
          ccRecipients: recipients(input.cc),
        },
        saveToSentItems: input.saveToSentItems ?? true,
      },
    });
    return { sent: true as const };
  },
});
