import type { OtpMessage } from '../delivery-channel.js';
import type { MailLocale } from '../email/email-templates.js';

/** One short SMS: the code first (phones show the start in notifications), then the expiry. */
export function renderSms(message: OtpMessage, product: string, locale: MailLocale): string {
  const minutes = Math.max(1, Math.round(message.expiresInSeconds / 60));
  if (locale === 'de') {
    if (message.kind === 'code') return `${message.code} ist Ihr ${product}-Code. Gültig für ${minutes} Min. Nicht weitergeben.`;
    if (message.kind === 'identifier-changed')
      return `${product}: Diese Nummer wurde in Ihrem Konto ersetzt. Waren Sie das nicht, melden Sie sich beim Support.`;
    if (message.purpose === 'CHANGE_IDENTIFIER') return `${product}: Diese Nummer gehört schon zu einem Konto. Es wurde nichts geändert.`;
    return message.kind === 'account-exists'
      ? `${product}: Für diese Nummer gibt es schon ein Konto. Melden Sie sich an.`
      : `${product}: Für diese Nummer gibt es kein Konto. Registrieren Sie sich zuerst.`;
  }
  if (message.kind === 'code') return `${message.code} is your ${product} code. It expires in ${minutes} min. Do not share it.`;
  if (message.kind === 'identifier-changed')
    return `${product}: this number was replaced on your account. If this was not you, contact support.`;
  if (message.purpose === 'CHANGE_IDENTIFIER') return `${product}: this number already belongs to an account. Nothing was changed.`;
  return message.kind === 'account-exists'
    ? `${product}: this number already has an account. Sign in instead.`
    : `${product}: there is no account for this number. Sign up first.`;
}
