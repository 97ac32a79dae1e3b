import type { OtpMessage } from '../delivery-channel.js';
import type { MailLocale } from '../email/email-templates.js';

/** One short SMS: the code first (phones show the start in notifications), then the expiry. */
export function renderSms(message: OtpMessage, product: string, locale: MailLocale): string {
  const minutes = Math.max(1, Math.round(message.expiresInSeconds / 60));
  if (locale === 'de') {
    if (message.kind === 'code') return `${message.code} ist Ihr ${product}-Code. Gültig für ${minutes} Min. Nicht weitergeben.`;
    return message.kind === 'account-exists'
      ? `${product}: Für diese Nummer gibt es schon ein Konto. Melden Sie sich an.`
      : `${product}: Für diese Nummer gibt es kein Konto. Registrieren Sie sich zuerst.`;
  }
  if (message.kind === 'code') return `${message.code} is your ${product} code. It expires in ${minutes} min. Do not share it.`;
  return message.kind === 'account-exists' ? `${product}: this number already has an account. Sign in instead.` : `${product}: there is no account for this number. Sign up first.`;
}
