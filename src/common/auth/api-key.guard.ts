import { type CanActivate, type ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ACCESS_KEY, type Access } from './auth.decorators';
import { ApiKeys, presentedKey } from './api-keys';

/** Global guard: every route needs a key unless @Public(); @AdminOnly() routes need an admin key. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ApiKeys) private readonly keys: ApiKeys,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]) ?? 'user';
    if (access === 'public') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const role = this.keys.roleOf(presentedKey(request));
    if (!role) throw new UnauthorizedException({ message: 'a valid API key is required (x-api-key header or Bearer token)' });
    if (access === 'admin' && role !== 'admin') throw new ForbiddenException({ message: 'this action needs an admin API key' });
    return true;
  }
}
