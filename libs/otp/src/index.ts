export { OtpCrypto } from './otp-crypto.js';
export { OtpStore, OTP_PURPOSES, type OtpPurpose } from './otp-store.js';
export { DevOutboxModule, OtpModule } from './otp.module.js';
export { OtpService, type SpentVerificationToken } from './otp.service.js';
