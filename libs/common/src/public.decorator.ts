import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';

/** Opts a route out of the global JWT guard. Everything else needs a valid access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const AUTHENTICATE_IF_PRESENT = 'auth:if-present';

/**
 * On a public route: a request with a valid bearer token has its user (@CurrentUser); one without,
 * or with a token that does not pass, goes through as anonymous, with @AuthFailure saying why.
 */
export const AuthenticateIfPresent = () => SetMetadata(AUTHENTICATE_IF_PRESENT, true);
