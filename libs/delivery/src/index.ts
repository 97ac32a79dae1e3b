export { DeliveryChannel, type OtpMessage } from './delivery-channel.js';
export { DevDeliveryChannel, type OutboxEntry } from './dev-delivery.channel.js';
export { DeliveryQueue, DeliveryStatsSource, InProcessDeliveryQueue, type DeadLetter, type DeliveryStats } from './delivery-queue.js';
export { DELIVERY_OUTCOMES, DeliveryHistory, type DeliveryOutcome, type HourlyDeliveries } from './delivery-history.js';
export { DeliveryModule, type DeliveryRole } from './delivery.module.js';
export { OTP_PURPOSES, type OtpPurpose } from './otp-purpose.js';
export { RedisDeliveryQueue } from './redis-delivery.queue.js';
