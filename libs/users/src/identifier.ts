import { isEmail } from 'class-validator';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { DomainError } from '#common';

/** An identifier after normalisation: a lower-cased email or an E.164 phone number. */
export interface Identifier {
  kind: 'email' | 'phone';
  value: string;
}

/**
 * One account, one spelling: emails are trimmed and lower-cased, phone numbers parsed into E.164
 * (with full metadata, so impossible numbers are refused). Anything else is IDENTIFIER_INVALID.
 */
export function normalizeIdentifier(raw: string, defaultCountry?: CountryCode): Identifier {
  const trimmed = raw.trim();
  if (!trimmed.isWellFormed())
    throw new DomainError('IDENTIFIER_INVALID', 'identifier must be an email address or a phone number in international format.');
  if (trimmed.includes('@')) {
    const email = trimmed.toLowerCase();
    if (email.length <= 254 && isEmail(email, { allow_display_name: false, allow_ip_domain: false, require_tld: true })) {
      return { kind: 'email', value: email };
    }
    throw new DomainError('IDENTIFIER_INVALID', 'identifier must be an email address or a phone number in international format.');
  }
  const phone = /^\+?[\d\s().-]{4,32}$/.test(trimmed) ? parsePhoneNumberFromString(trimmed, defaultCountry) : undefined;
  if (phone?.isValid()) return { kind: 'phone', value: phone.number };
  throw new DomainError('IDENTIFIER_INVALID', 'identifier must be an email address or a phone number in international format.');
}

/** The country a normalised (E.164) phone number belongs to, or undefined when its prefix is shared and ambiguous. */
export function countryOfPhone(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}
