/**
 * History fixtures as JSON. The SDK's `historyToJSON` / `historyFromJSON` fail in this install
 * ("type must be a Type": @temporalio/common and @temporalio/proto each carry their own protobufjs 8
 * copy), so fixtures go through the History message class of @temporalio/proto itself: enums by
 * name, 64-bit numbers as strings, bytes as base64.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryMessage = temporal.api.history.v1.History;

export async function writeHistoryFixture(file: string, history: History): Promise<void> {
  const json = HistoryMessage.toObject(HistoryMessage.fromObject(history), {
    longs: String,
    enums: String,
    bytes: String,
  });
  await writeFile(file, `${JSON.stringify(json)}\n`);
}

export function readHistoryFixture(file: string): History {
  return HistoryMessage.fromObject(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
}

/** The fixture of a catalogue runbook (recorded by test/engine/catalogue-histories.test.ts). */
export function catalogueFixture(runbook: string): string {
  return `${runbook}.catalogue.json`;
}
