// The decorator only: the module (and @nestjs/throttler, CommonJS that requires the ESM-only
// @nestjs/common) is loaded by AppModule with import(), from ./rate-limit.module.js.
export { RATE_LIMIT_GUARD, RateLimit, type RateLimitName } from './rate-limit.decorator.js';
