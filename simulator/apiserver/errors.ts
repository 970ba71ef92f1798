/**
 * Kubernetes API errors with the exact Status bodies kube-apiserver sends
 * (k8s.io/apimachinery/pkg/api/errors), so clients decode them as they would from a real cluster.
 */
import type { ResourceType } from './resources.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The Status body a real API server answers with. */
  status(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      // A Status a handler returns itself may have none (metav1.Status omits it when empty).
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

type Named = Pick<ResourceType, 'group' | 'plural'>;

/** `configmaps` or `machineconfigpools.machineconfiguration.openshift.io`, as messages name a resource. */
function qualified(type: Named): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

function details(type: Named, name: string): StatusDetails {
  return type.group === '' ? { name, kind: type.plural } : { name, group: type.group, kind: type.plural };
}

export function notFound(type: Named, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(type)} "${name}" not found`, details(type, name));
}

export function alreadyExists(type: Named, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(type)} "${name}" already exists`, details(type, name));
}

export function conflict(
  type: Named,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(type)} "${name}": ${why}`,
    details(type, name),
  );
}

/** 422: `<Kind>.<group> "<name>" is invalid: <field>: <error>; …`. */
export function invalid(type: Pick<ResourceType, 'group' | 'kind'>, name: string, causes: StatusCause[]): ApiError {
  const kind = type.group === '' ? type.kind : `${type.kind}.${type.group}`;
  const summary = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
  const message = `${kind} "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', message, {
    name,
    ...(type.group === '' ? {} : { group: type.group }),
    kind: type.kind,
    causes,
  });
}

/** A single-field 422 in the words field.Invalid / field.Required use. */
export function invalidField(
  type: Pick<ResourceType, 'group' | 'kind'>,
  name: string,
  field: string,
  value: unknown,
  why: string,
): ApiError {
  return invalid(type, name, [
    { reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` },
  ]);
}

export function requiredField(
  type: Pick<ResourceType, 'group' | 'kind'>,
  name: string,
  field: string,
  why: string,
): ApiError {
  return invalid(type, name, [{ reason: 'FieldValueRequired', field, message: `Required value: ${why}` }]);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function forbidden(type: Named, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualified(type)} "${name}" is forbidden: ${why}`, details(type, name));
}

export function methodNotAllowed(
  message = 'the server does not allow this method on the requested resource',
): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function serviceUnavailable(retryAfterSeconds: number): ApiError {
  return new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request', {
    retryAfterSeconds,
  });
}

export function tooManyRequests(message: string, causes?: StatusCause[]): ApiError {
  return new ApiError(429, 'TooManyRequests', message, causes ? { causes } : undefined);
}

/** 404 for a path no resource serves. */
export function noRoute(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}
