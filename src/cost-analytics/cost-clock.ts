import { Injectable } from '@nestjs/common';

/** "Now" for periods, projections and alerts; tests replace it to stand on the 1st of a month or in December. */
@Injectable()
export class CostClock {
  now(): Date {
    return new Date();
  }
}
