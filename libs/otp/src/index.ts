export { DeliveryChannel, type OtpMessage } from './delivery/delivery-channel.js';
export { DevDeliveryChannel, type OutboxEntry } from './delivery/dev-delivery.channel.js';
export { InProcessDeliveryQueue } from './delivery/delivery-queue.js';
export { OtpCrypto } from './otp-crypto.js';
export { OtpStore, OTP_PURPOSES, type OtpPurpose } from './otp-store.js';
export { OtpModule } from './otp.module.js';
export { OtpService } from './otp.service.js';
