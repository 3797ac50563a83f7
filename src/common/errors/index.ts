export * from './domain-error';
export { httpStatusOf } from './http-status';
