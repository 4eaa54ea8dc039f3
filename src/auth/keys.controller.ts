import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { Role } from './role.decorator';

/** The keys over HTTP, for admins: names, roles and dates, never secrets. Keys are made with `annals keys create`; the list is the key ring folded from the log. */
@ApiTags('auth')
@Role('admin')
@Controller('auth/keys')
export class KeysController {
  constructor(private readonly auth: AuthService) {}

  @Get()
  @ApiOkResponse({ description: 'OK', schema: { $ref: getSchemaPath('KeyList') } })
  list() {
    return { items: this.auth.keys.list() };
  }
}
