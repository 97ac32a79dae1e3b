/**
 * What a one-time code is for; every message names it. CHANGE_IDENTIFIER proves a new email or
 * phone for a signed-in account (a bearer token asks for it).
 */
export type OtpPurpose = 'REGISTER' | 'LOGIN' | 'CHANGE_IDENTIFIER';
export const OTP_PURPOSES: readonly OtpPurpose[] = ['REGISTER', 'LOGIN', 'CHANGE_IDENTIFIER'];
