import { STATUS_CODES } from 'node:http';
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCodes, type ErrorCode } from './error-codes.js';
import { ErrorResponseDto } from './error-response.dto.js';

/**
 * Documents the errors a route really answers, in the one shape: one response per status, listing
 * its codes, with an example of each, so Swagger shows /me's 401 as TOKEN_INVALID, not an OTP error.
 */
export function ApiErrorResponses(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ErrorCodes[code], [...(byStatus.get(ErrorCodes[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        type: ErrorResponseDto,
        description: `Codes: ${statusCodes.join(', ')}`,
        examples: Object.fromEntries(
          statusCodes.map((code) => [
            code,
            { summary: code, value: { statusCode: status, error: STATUS_CODES[status], message: '…', code } },
          ]),
        ),
      }),
    ),
  );
}
