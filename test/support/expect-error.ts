import type { Response } from 'supertest';
import { ErrorCodes, type ErrorCode } from '#common';

/** Asserts the one error shape, with the status that belongs to the code. */
export function expectError(res: Response, code: ErrorCode): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: ErrorCodes[code],
    body: {
      statusCode: ErrorCodes[code],
      error: expect.any(String),
      message: expect.any(String),
      code,
      ...(res.body.details ? { details: expect.any(Array) } : {}),
    },
  });
  expect(JSON.stringify(res.body)).not.toMatch(/\bat \S+ \(|QueryFailedError|SELECT |INSERT /);
}

/** Asserts that a service call fails with this DomainError code (by shape: jest's realms defeat instanceof). */
export async function expectDomainError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { code?: string; status?: number } | undefined;
  expect({ code: error?.code, status: error?.status }).toEqual({ code, status: ErrorCodes[code] });
}
