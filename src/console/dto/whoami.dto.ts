import { ApiProperty } from '@nestjs/swagger';

export class WhoamiDto {
  @ApiProperty({ enum: ['user', 'admin'], description: 'The role of the key the request carried (the key itself is never echoed)' })
  role!: 'user' | 'admin';
}
