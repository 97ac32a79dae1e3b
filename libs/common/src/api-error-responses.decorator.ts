import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCodes } from './error-codes.js';
import { ErrorResponseDto } from './error-response.dto.js';

/** Documents the error answers of an endpoint in the one shape, listing the codes per status. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => {
      const codes = Object.entries(ErrorCodes)
        .filter(([, s]) => s === status)
        .map(([code]) => code);
      return ApiResponse({ status, type: ErrorResponseDto, description: `Codes: ${codes.join(', ')}` });
    }),
  );
}
