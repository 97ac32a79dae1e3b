import type { OtpMessage } from '../delivery-channel.js';

export const MAIL_LOCALES = ['en', 'de'] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface Words {
  subject: Record<OtpMessage['kind'], (purpose: OtpMessage['purpose'], product: string) => string>;
  lead: Record<OtpMessage['kind'], (purpose: OtpMessage['purpose'], product: string) => string>;
  expires: (minutes: number) => string;
  ignore: string;
}

const WORDS: Record<MailLocale, Words> = {
  en: {
    subject: {
      code: (purpose, product) =>
        ({
          REGISTER: `Your ${product} sign-up code`,
          LOGIN: `Your ${product} sign-in code`,
          CHANGE_IDENTIFIER: `Confirm your new ${product} address`,
        })[purpose],
      'account-exists': (_purpose, product) => `You already have a ${product} account`,
      'no-account': (_purpose, product) => `No ${product} account for this address`,
      'identifier-changed': (_purpose, product) => `Your ${product} account has a new address`,
    },
    lead: {
      code: (purpose, product) =>
        ({
          REGISTER: `Use this code to finish signing up for ${product}:`,
          LOGIN: `Use this code to sign in to ${product}:`,
          CHANGE_IDENTIFIER: `Use this code to add this address to your ${product} account:`,
        })[purpose],
      'account-exists': (purpose, product) =>
        purpose === 'CHANGE_IDENTIFIER'
          ? `Someone asked to add this address to their ${product} account, but it already belongs to an account. Nothing was changed.`
          : `Someone asked to sign up for ${product} with this address, but it already has an account. Sign in instead.`,
      'no-account': (_purpose, product) =>
        `Someone asked to sign in to ${product} with this address, but there is no account for it. Sign up first.`,
      'identifier-changed': (_purpose, product) =>
        `This address has been replaced on your ${product} account and no longer signs in to it. If you did not do this, contact support at once.`,
    },
    expires: (minutes) => `The code expires in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    ignore: 'If this was not you, ignore this message.',
  },
  de: {
    subject: {
      code: (purpose, product) =>
        ({
          REGISTER: `Ihr Registrierungscode für ${product}`,
          LOGIN: `Ihr Anmeldecode für ${product}`,
          CHANGE_IDENTIFIER: `Bestätigen Sie Ihre neue Adresse bei ${product}`,
        })[purpose],
      'account-exists': (_purpose, product) => `Sie haben bereits ein Konto bei ${product}`,
      'no-account': (_purpose, product) => `Kein Konto bei ${product} für diese Adresse`,
      'identifier-changed': (_purpose, product) => `Ihr Konto bei ${product} hat eine neue Adresse`,
    },
    lead: {
      code: (purpose, product) =>
        ({
          REGISTER: `Mit diesem Code schließen Sie die Registrierung bei ${product} ab:`,
          LOGIN: `Mit diesem Code melden Sie sich bei ${product} an:`,
          CHANGE_IDENTIFIER: `Mit diesem Code fügen Sie diese Adresse Ihrem Konto bei ${product} hinzu:`,
        })[purpose],
      'account-exists': (purpose, product) =>
        purpose === 'CHANGE_IDENTIFIER'
          ? `Jemand wollte diese Adresse seinem Konto bei ${product} hinzufügen, aber sie gehört schon zu einem Konto. Es wurde nichts geändert.`
          : `Jemand wollte sich mit dieser Adresse bei ${product} registrieren, aber es gibt schon ein Konto. Melden Sie sich stattdessen an.`,
      'no-account': (_purpose, product) =>
        `Jemand wollte sich mit dieser Adresse bei ${product} anmelden, aber es gibt kein Konto. Registrieren Sie sich zuerst.`,
      'identifier-changed': (_purpose, product) =>
        `Diese Adresse wurde in Ihrem Konto bei ${product} ersetzt und meldet Sie nicht mehr an. Wenn Sie das nicht waren, wenden Sie sich sofort an den Support.`,
    },
    expires: (minutes) => `Der Code ist ${minutes} Minute${minutes === 1 ? '' : 'n'} gültig.`,
    ignore: 'Wenn Sie das nicht waren, ignorieren Sie diese Nachricht.',
  },
};

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The text and HTML of one message: the code large and on its own line, the expiry stated. */
export function renderEmail(message: OtpMessage, product: string, locale: MailLocale): RenderedEmail {
  const words = WORDS[locale];
  const subject = words.subject[message.kind](message.purpose, product);
  const lead = words.lead[message.kind](message.purpose, product);
  const minutes = Math.max(1, Math.round(message.expiresInSeconds / 60));
  const lines =
    message.kind === 'code' ? [lead, '', `    ${message.code}`, '', words.expires(minutes), '', words.ignore] : [lead, '', words.ignore];
  const codeBlock =
    message.kind === 'code'
      ? `<p style="font-size:32px;font-weight:bold;letter-spacing:6px;font-family:monospace;margin:24px 0">${escapeHtml(message.code!)}</p><p>${escapeHtml(words.expires(minutes))}</p>`
      : '';
  const html =
    `<!doctype html><html lang="${locale}"><body style="font-family:sans-serif;color:#222;max-width:480px;margin:auto">` +
    `<p>${escapeHtml(lead)}</p>${codeBlock}<p style="color:#666;font-size:13px">${escapeHtml(words.ignore)}</p></body></html>`;
  return { subject, text: lines.join('\n') + '\n', html };
}
