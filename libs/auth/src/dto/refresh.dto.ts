import { ApiProperty } from '@nestjs/swagger';
import { IsJWT } from 'class-validator';

export class RefreshDto {
  @ApiProperty({ description: 'A refresh token from register, login or an earlier refresh.' })
  @IsJWT()
  refresh!: string;
}
