import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';

/** Opts a route out of the global JWT guard. Everything else needs a valid access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const AUTHENTICATE_IF_PRESENT = 'auth:if-present';

/**
 * On a public route: a request that carries a bearer token must carry a valid one, and its user is
 * then the request's (@CurrentUser); a request without one goes through as anonymous.
 */
export const AuthenticateIfPresent = () => SetMetadata(AUTHENTICATE_IF_PRESENT, true);
