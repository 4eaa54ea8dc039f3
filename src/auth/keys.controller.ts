import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { KeyStore } from './key-store';
import { Role } from './role.decorator';

/** The keys over HTTP, for admins: names, roles and dates, never secrets. Keys are made with `annals keys create`. */
@ApiTags('auth')
@Role('admin')
@Controller('auth/keys')
export class KeysController {
  constructor(private readonly auth: AuthService) {}

  @Get()
  list() {
    return { items: new KeyStore(this.auth.config.auth.keysFile).list() };
  }
}
