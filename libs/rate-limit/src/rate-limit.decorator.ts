import { SetMetadata } from '@nestjs/common';

export type RateLimitName = 'otpRequest' | 'otpVerify' | 'signIn' | 'admin';
export const RATE_LIMIT = 'rate-limit:name';

/** The guard's token, for the app to put first among its global guards (see AppModule). */
export const RATE_LIMIT_GUARD = Symbol('RATE_LIMIT_GUARD');

/** Counts the route's (or, on a controller, each of its routes') requests per client IP against the hourly limit of that name (config). */
export const RateLimit = (name: RateLimitName) => SetMetadata(RATE_LIMIT, name);
