/** The bare SDK reference's activity (bench/bare-sdk-workflow.ts): does nothing, as the engine's testNoop. */
export async function bareNoop(): Promise<void> {}
