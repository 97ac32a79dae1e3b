export { DeliveryChannel, type OtpMessage } from './delivery/delivery-channel.js';
export { DevDeliveryChannel, type OutboxEntry } from './delivery/dev-delivery.channel.js';
export { DeliveryQueue, InProcessDeliveryQueue, type DeadLetter, type DeliveryStats } from './delivery/delivery-queue.js';
export { DeliveryModule, type DeliveryRole } from './delivery/delivery.module.js';
export { OtpCrypto } from './otp-crypto.js';
export { OtpStore, OTP_PURPOSES, type OtpPurpose } from './otp-store.js';
export { DevOutboxModule, OtpModule } from './otp.module.js';
export { OtpService, type SpentVerificationToken } from './otp.service.js';
export { DELIVERY_QUEUE } from './delivery/redis-delivery.queue.js';
