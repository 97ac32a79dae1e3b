import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCodes } from './error-codes.js';

/** The one error shape every endpoint answers with. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'The code is not valid.' }) message!: string;
  @ApiProperty({ enum: Object.keys(ErrorCodes), example: 'OTP_INVALID' }) code!: string;
  @ApiPropertyOptional({ type: [String], description: 'Field-level problems, for VALIDATION_FAILED.' }) details?: string[];
}
