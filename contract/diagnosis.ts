/**
 * A wait's diagnosis: what its probes found when it paused (activities/engine/diagnosis.ts runs them).
 * It travels in the failure's details, the run keeps it with its error (`runbook status`, the UI's
 * current details) and the pause notice carries it. Workflow-safe: types and pure functions only.
 */

/** `ok`: looked and found it fine; `problem`: a likely cause; `error`: the probe itself could not tell. */
export type Verdict = 'ok' | 'problem' | 'error';

export interface Finding {
  /** The probe that found it: `dns`, `haproxy`, `csrs`, `gather`. */
  probe: string;
  verdict: Verdict;
  /** One line for the operator, free of secrets. */
  text: string;
}

const VERDICTS: readonly string[] = ['ok', 'problem', 'error'];

/** The findings in a failure's details (`[{ diagnosis: [...] }]`), or undefined when there are none. */
export function diagnosisIn(details: readonly unknown[] | undefined): Finding[] | undefined {
  const candidate = (details?.[0] as { diagnosis?: unknown } | undefined)?.diagnosis;
  if (!Array.isArray(candidate)) return undefined;
  const findings = candidate.filter(
    (item): item is Finding =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as Finding).probe === 'string' &&
      typeof (item as Finding).text === 'string' &&
      VERDICTS.includes((item as Finding).verdict),
  );
  return findings.length > 0 ? findings : undefined;
}

const MARKS: Record<Verdict, string> = { ok: 'ok', problem: 'PROBLEM', error: 'could not tell' };

/** `PROBLEM  dns: …`: one line per finding, problems first (the order within each verdict kept). */
export function diagnosisLines(findings: readonly Finding[]): string[] {
  const order: Verdict[] = ['problem', 'error', 'ok'];
  return order.flatMap((verdict) =>
    findings
      .filter((finding) => finding.verdict === verdict)
      .map((finding) => `${MARKS[verdict]}  ${finding.probe}: ${finding.text}`),
  );
}
