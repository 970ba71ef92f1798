/**
 * Registers the project's custom search attributes (RunbookName, RunbookLab, RunbookStep, RunbookState)
 * on a cluster. The dev server gets them as start flags; a real cluster needs this once per namespace.
 */
import type { ConnectionLike } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TemporalError, TemporalErrorKind } from './errors.js';
import { searchAttributeList } from '../workflows/engine/api.js';

/** Adds the attributes that are missing; returns the names it added (none when all exist). */
export async function ensureSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const missing = searchAttributeList.filter((attribute) => !(attribute.name in custom));
  for (const attribute of searchAttributeList) {
    const have = custom[attribute.name];
    const want = encodeSearchAttributeIndexedValueType(attribute.type);
    if (have !== undefined && have !== want) {
      throw new TemporalError(
        `search attribute ${attribute.name} exists in namespace ${namespace} with another type`,
        TemporalErrorKind.Refused,
        [
          `it must be ${attribute.cliType}; remove it (temporal operator search-attribute remove --name ${attribute.name}) and run again`,
        ],
      );
    }
  }
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(
    missing.map((attribute) => [attribute.name, encodeSearchAttributeIndexedValueType(attribute.type)!]),
  );
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (error) {
    throw new TemporalError(
      `cannot add search attributes to namespace ${namespace}: ${(error as Error).message}`,
      TemporalErrorKind.Refused,
      [
        'ask the cluster administrator to add them:',
        ...missing.map(
          (attribute) =>
            `temporal operator search-attribute create --namespace ${namespace} --name ${attribute.name} --type ${attribute.cliType}`,
        ),
      ],
    );
  }
  return missing.map((attribute) => attribute.name);
}
