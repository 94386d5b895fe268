export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __interlockTemporal?: { shutdown(): Promise<void> } }).__interlockTemporal?.shutdown();
}
